import Foundation
import Database
import JobQueue
import NightshiftCore
import Logging
import PostgresNIO
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Writes a month's backup CSV from one consistent snapshot, streaming rows to disk through
/// `COPY … TO STDOUT` (libpq).
public struct MonthBackupWriter: Sendable {
    public enum Outcome: Sendable, Equatable {
        case created(BackupManifest)
        /// A valid backup was there already (the seed's 409); nothing was rewritten.
        case alreadyExists(BackupManifest)
        /// The manifest was lost; the month's intact backup files were adopted into a new one
        /// (nothing was there to write). ``BackupManifest/versions`` lists them.
        case readopted(BackupManifest)
    }

    public let database: DatabaseURL
    public let baseDirectory: URL
    public let logger: Logger
    /// With recipients, the CSV is encrypted as it is written (`backup_YYYY_MM.csv.age`).
    public let encryption: BackupEncryption

    public init(database: DatabaseURL, baseDirectory: URL, encryption: BackupEncryption = .off, logger: Logger) {
        self.database = database
        self.baseDirectory = baseDirectory
        self.encryption = encryption
        self.logger = logger
    }

    /// Writes the month's backup as its next version; `progress` hears the records written, of
    /// the month's count, every 10,000 records.
    ///
    /// No earlier version is overwritten or removed: a forced re-create of an open month writes
    /// `backup_YYYY_MM.v2.csv` beside `backup_YYYY_MM.csv`, and the manifest lists both. Once
    /// the month is closed into its extrato its records are gone from the tables, so a new
    /// version can only hold what arrived after the close: it is written (with or without
    /// `force`) when such records exist and no intact version holds them yet, with scope
    /// `after_close`; with none, the existing backup is kept as it is.
    ///
    /// `fromExtrato` (a closed month only) writes a version from the extrato's own stored
    /// records, scope `extrato`: the way out when the backup no longer holds what the extrato
    /// does (a lost or damaged version). A manifest that was lost is rebuilt from the month's
    /// intact files, which stay versions of the backup (``Outcome/readopted(_:)``).
    public func create(_ month: StudioMonth, force: Bool = false, fromExtrato: Bool = false, jobID: Int64? = nil,
                       progress: any WorkProgressReporting = NoProgress()) async throws -> Outcome {
        let folder = BackupLocation(baseDirectory: baseDirectory, month: month)
        let lock = try MonthBackupLock(directory: baseDirectory, month: month)
        defer { lock.release() }
        Self.sweepTemporaryFiles(in: folder.directory, month: month)
        let existing = try? BackupManifest.decoder.decode(BackupManifest.self, from: Data(contentsOf: folder.manifest))
        let verifier = BackupVerifier(client: nil, baseDirectory: baseDirectory, encryption: encryption, logger: logger)
        let exporter = CopyExporter(url: database)
        let before = try await exporter.snapshot([Self.closedSQL(month), Self.countSQL(month)])
        let closed = Self.isClosed(before[0])
        let live = Self.counts(before[1])
        // A lost manifest: the month's intact files are still its backup (break-close 11).
        let adopted = existing == nil ? readoptable(in: folder, closed: closed) : []
        let earlier = existing?.versions ?? adopted
        if fromExtrato {
            guard closed else { throw BackupError.notClosed(month) }
            // Nothing to add when intact versions hold every record of the extrato with its amount.
            let stored = Self.amounts(try await exporter.snapshot([Self.extratoIDSQL(month)])[0])
            if !earlier.isEmpty, holds(stored, in: earlier, folder: folder) {
                if let existing { return .alreadyExists(existing) }
                return .readopted(try readopt(adopted, month: month))
            }
        } else if closed {
            guard live.values.reduce(0, +) > 0 else {
                if let existing { return .alreadyExists(existing) }
                if !adopted.isEmpty { return .readopted(try readopt(adopted, month: month)) }
                throw BackupError.closedWithoutBackup(month)
            }
            // Every late record is in an intact version already, with the amount it has now: nothing new to add.
            if !earlier.isEmpty {
                let late = Self.amounts(try await exporter.snapshot([Self.idSQL(month)])[0])
                if holds(late, in: earlier, folder: folder) {
                    if let existing { return .alreadyExists(existing) }
                    return .readopted(try readopt(adopted, month: month))
                }
            }
        } else if !force, existing != nil, let manifest = try? await verifier.verifiedManifest(month) {
            // Its files match the manifest; its records must match the month's rows too, or
            // the close (which compares them) refuses a backup this said was there (break-office2 11).
            let rows = Self.amounts(try await exporter.snapshot([Self.idSQL(month)])[0])
            if matches(rows, counts: live, totals: Self.totals(before[1]), current: manifest, folder: folder) { return .alreadyExists(manifest) }
            logger.notice("the month's records changed since its backup: writing the next version", metadata: ["month": "\(month)"])
        }
        let version = Self.nextVersion(existing, in: folder.directory, month: month)
        let location = BackupLocation(baseDirectory: baseDirectory, month: month, encrypted: encryption.isOn, version: version)
        let (copy, countQuery) = fromExtrato ? (Self.extratoQuery(month), Self.extratoCountSQL(month)) : (Self.query(month).sql, Self.countSQL(month))
        let csv = try AtomicFile(destination: location.csv, encryptingTo: encryption.recipients)
        do {
            try csv.write(BackupCSV.byteOrderMark)
            try csv.write(BackupCSV.headerLine)
            // Counts and rows come from one snapshot; each COPY row ends in LF, written as CRLF.
            let tally = RowTally(progress, step: month.label)
            // What the version holds, so a later writer or the close can match it unread.
            let fingerprint = Mutex(RecordFingerprint())
            let snapshot = try await exporter.export(
                snapshotQueries: [countQuery, Self.closedSQL(month)], copy: copy,
                answered: { results in tally.expect(Self.counts(results.first ?? []).values.reduce(0, +)) }
            ) { row in
                let line = UnsafeRawBufferPointer(rebasing: row.dropLast())
                try csv.write(line)
                try csv.write(Self.lineEnd)
                fingerprint.withLock { $0.add(csvRow: line) }
                tally.add()
            }
            let counts = Self.counts(snapshot.first ?? [])
            // The snapshot decides: a close that committed since the check above emptied the tables.
            let closedInSnapshot = Self.isClosed(snapshot.count > 1 ? snapshot[1] : [])
            if !fromExtrato && closedInSnapshot && counts.values.reduce(0, +) == 0 {
                csv.discard()
                if let existing { return .alreadyExists(existing) }
                throw BackupError.closedWithoutBackup(month)
            }
            let sha256 = try csv.commit()
            let scope: BackupScope = fromExtrato ? .extrato : closedInSnapshot ? .afterClose : .month
            let written = fingerprint.withLock { $0 }
            var manifest = BackupManifest(
                month: month.label, file: location.fileName, sha256: sha256, sizeBytes: csv.size, records: counts,
                totalRecords: counts.values.reduce(0, +), columns: BackupCSV.columns, createdAt: Date(), jobID: jobID,
                encryption: encryption.isOn ? BackupEncryption.format : nil,
                recipients: encryption.isOn ? encryption.recipients.map(\.description) : nil,
                version: version, scope: scope, totals: Self.totals(snapshot.first ?? []),
                history: earlier.isEmpty ? nil : earlier, fingerprint: written.value)
            manifest.monthRecords = scope == .month ? manifest.totalRecords : monthRecords(earlier, plus: manifest.current, folder: folder)
            try writeManifest(manifest, to: location.manifest)
            logger.info("backup written", metadata: [
                "file": "\(location.csv.path)", "version": "\(version)", "scope": "\(scope.rawValue)",
                "records": "\(manifest.totalRecords)", "bytes": "\(manifest.sizeBytes)",
            ])
            return .created(manifest)
        } catch {
            csv.discard()
            throw error
        }
    }

    func writeManifest(_ manifest: BackupManifest, to destination: URL) throws {
        let manifestFile = try AtomicFile(destination: destination)
        do {
            try manifestFile.write(Array(try BackupManifest.encoder.encode(manifest)))
            _ = try manifestFile.commit()
        } catch {
            manifestFile.discard()
            throw error
        }
    }

    /// Removes the `.tmp-` files a writer of this month killed mid-write left (this process holds
    /// the month's lock, so no live writer owns one).
    static func sweepTemporaryFiles(in directory: URL, month: StudioMonth) {
        let stem = ".backup_\(month.folderName)"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        where name.hasPrefix(stem) && name.contains(".tmp-") {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }

    /// One more than the highest version the manifest lists or the folder holds (a file a lost
    /// manifest no longer names is not overwritten either); 1 for a month without a backup.
    static func nextVersion(_ manifest: BackupManifest?, in directory: URL, month: StudioMonth) -> Int {
        var highest = manifest?.versions.map(\.version).max() ?? 0
        let stem = "backup_\(month.folderName)"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] where name.hasPrefix(stem) {
            var rest = name.dropFirst(stem.count)
            if rest.hasSuffix(BackupEncryption.suffix) { rest = rest.dropLast(BackupEncryption.suffix.count) }
            if rest == ".csv" { highest = max(highest, 1) }
            if rest.hasPrefix(".v"), rest.hasSuffix(".csv"), let n = Int(rest.dropFirst(2).dropLast(4)) { highest = max(highest, n) }
        }
        return highest + 1
    }

    /// The month's rows in the tables, `type\tid\tvalor` per row (valor as the CSV writes it).
    static func idSQL(_ month: StudioMonth) -> String {
        selects(month).map { fields, from in "SELECT \(fields[0]), \(fields[1]), coalesce(\(fields[3]), '') " + from }.joined(separator: " UNION ALL ")
    }

    static func amounts(_ lines: [String]) -> [String: [Int64: Int64]] {
        var amounts: [String: [Int64: Int64]] = [:]
        for line in lines {
            let parts = line.split(separator: "\t", omittingEmptySubsequences: false)
            if parts.count >= 2, let id = Int64(parts[1]) {
                amounts[String(parts[0]), default: [:]][id] = BackupCSV.cents(parts.count > 2 ? String(parts[2]) : "")
            }
        }
        return amounts
    }

    /// One row, `1`, when the month has its extrato.
    static func closedSQL(_ month: StudioMonth) -> String {
        "SELECT count(*) FROM extratos WHERE ano = \(month.year) AND mes = \(month.month)"
    }

    static func isClosed(_ lines: [String]) -> Bool { (lines.first.flatMap { Int($0) } ?? 0) > 0 }

    /// Every record of the month from the four tables, as text in the CSV's column order.
    public static func query(_ month: StudioMonth) -> PostgresQuery {
        PostgresQuery(unsafeSQL: selects(month).map { fields, from in
            "SELECT " + fields.joined(separator: ", ") + " " + from
        }.joined(separator: " UNION ALL "))
    }

    static let lineEnd: [UInt8] = [0x0D, 0x0A]

    /// `countSQL`'s rows ("pagamento\t250000"; commissions come in two, one per branch), as
    /// counts per record type, every type present.
    static func counts(_ lines: [String]) -> [String: Int] {
        var counts: [String: Int] = ["pagamento": 0, "sessao": 0, "comissao": 0, "gasto": 0]
        for line in lines {
            let parts = line.split(separator: "\t")
            if parts.count >= 2, let count = Int(parts[1]) { counts[String(parts[0]), default: 0] += count }
        }
        return counts
    }

    /// `countSQL`'s exact sums of `valor` per type (`"1234.50"`).
    static func totals(_ lines: [String]) -> [String: String] {
        var totals: [String: String] = [:]
        for line in lines {
            let parts = line.split(separator: "\t")
            if parts.count == 3 { totals[String(parts[0])] = String(parts[2]) }
        }
        return totals
    }

    /// Per type: `type\tcount\ttotal` (the total of `valor`, exact), one row per type.
    static func countSQL(_ month: StudioMonth) -> String {
        let branches = selects(month).map { fields, from in
            "SELECT \(fields[0]) AS t, count(*) AS n, sum(\(fields[3].replacingOccurrences(of: "::text", with: ""))) AS v " + from
        }.joined(separator: " UNION ALL ")
        return "SELECT t, sum(n)::bigint, \(MonthRecords.totalSQL("v")) FROM (\(branches)) AS c GROUP BY t"
    }

    /// Per type: the 16 column expressions and the FROM … WHERE that picks the month's rows
    /// (commissions in two disjoint branches, see ``MonthRecords/comissaoInMonthBranches(_:payment:_:)``).
    static func selects(_ month: StudioMonth) -> [(fields: [String], from: String)] {
        let ts = { (column: String) in "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')" }
        return [
            (["'pagamento'::text", "p.id::text", "p.data::text", "p.valor::text", "p.forma_pagamento", "p.observacoes",
              "c.name", "a.name", ts("p.created_at"), ts("p.updated_at"),
              "p.sessao_id::text", "NULL::text", "NULL::text", "NULL::text", "NULL::text", "NULL::text"],
             "FROM pagamentos p JOIN clientes c ON c.id = p.cliente_id JOIN artistas a ON a.id = p.artista_id WHERE \(MonthRecords.inMonth("p", month))"),
            (["'sessao'::text", "s.id::text", "s.data::text", "s.valor::text", "NULL::text", "s.observacoes",
              "c.name", "a.name", ts("s.created_at"), ts("s.updated_at"),
              "NULL::text", "s.payment_id::text", "NULL::text", "s.status", "NULL::text", "NULL::text"],
             "FROM sessoes s JOIN clientes c ON c.id = s.cliente_id JOIN artistas a ON a.id = s.artista_id WHERE \(MonthRecords.inMonth("s", month))"),
        ] + MonthRecords.comissaoInMonthBranches("cm", payment: "pp", month).map { branch in
            (["'comissao'::text", "cm.id::text", "cm.data::text", "cm.valor::text", "NULL::text", "cm.observacoes",
              "c.name", "a.name", ts("cm.created_at"), ts("cm.updated_at"),
              "NULL::text", "cm.pagamento_id::text", "cm.percentual::text", "NULL::text", "NULL::text", "NULL::text"],
             "FROM comissoes cm JOIN artistas a ON a.id = cm.artista_id JOIN pagamentos pp ON pp.id = cm.pagamento_id JOIN clientes c ON c.id = pp.cliente_id WHERE \(branch)")
        } + [
            (["'gasto'::text", "g.id::text", "g.data::text", "g.valor::text", "g.forma_pagamento", "g.observacoes",
              "NULL::text", "NULL::text", ts("g.created_at"), ts("g.updated_at"),
              "NULL::text", "NULL::text", "NULL::text", "NULL::text", "g.descricao", "g.categoria"],
             "FROM gastos g WHERE \(MonthRecords.inMonth("g", month))"),
        ]
    }
}
