import Foundation

/// What the month's existing versions hold, for the writer: whether a new version would add
/// anything, and a manifest rebuilt from the files when it was lost.
extension MonthBackupWriter {
    /// The records the intact versions hold: amount in cents by id by type from those whose
    /// contents were read (of an id in two, the later's amount), and those intact versions that
    /// could not be read here (encrypted, no identity).
    func held(in versions: [BackupVersion], folder: BackupLocation) -> (amounts: [String: [Int64: Int64]], unread: [BackupVersion]) {
        var amounts: [String: [Int64: Int64]] = [:]
        var unread: [BackupVersion] = []
        for version in versions {
            guard let scan = try? BackupFileScan.read(folder.file(version.file), encrypted: version.encryption != nil,
                                                      encryption: encryption, collectIDs: true),
                  scan.problems(against: version).isEmpty else { continue }
            if scan.contentsRead {
                amounts.merge(scan.counter.amounts) { $0.merging($1) { _, later in later } }
            } else {
                unread.append(version)
            }
        }
        return (amounts, unread)
    }

    /// Whether intact versions already hold every one of `records` with its amount: read ones by
    /// id, or one (read or not) whose fingerprint is exactly theirs (break-close 9: a version
    /// that cannot be read here no longer makes every run write the same records again).
    func holds(_ records: [String: [Int64: Int64]], in versions: [BackupVersion], folder: BackupLocation) -> Bool {
        let (amounts, unread) = held(in: versions, folder: folder)
        if records.allSatisfy({ type, rows in rows.allSatisfy { id, cents in amounts[type]?[id] == cents } }) { return true }
        let fingerprint = RecordFingerprint.of(records)
        return unread.contains { $0.fingerprint == fingerprint }
    }

    /// Whether the current version of an open month holds exactly the month's rows: by id and
    /// amount when it can be read, else by its fingerprint, else (a manifest from before
    /// fingerprints) by count and total per type.
    func matches(_ rows: [String: [Int64: Int64]], counts: [String: Int], totals: [String: String], current manifest: BackupManifest,
                 folder: BackupLocation) -> Bool {
        let (amounts, unread) = held(in: [manifest.current], folder: folder)
        if unread.isEmpty { return amounts.filter { !$0.value.isEmpty } == rows.filter { !$0.value.isEmpty } }
        if let fingerprint = manifest.fingerprint { return fingerprint == RecordFingerprint.of(rows) }
        return ClosedMonth.types.allSatisfy { (manifest.records[$0] ?? 0) == (counts[$0] ?? 0) }
            && (manifest.totals.map { held in totals.allSatisfy { type, total in held[type] == total } } ?? true)
    }

    /// Distinct records across the intact versions (read ones by id; unread ones by their count).
    func monthRecords(_ earlier: [BackupVersion], plus current: BackupVersion, folder: BackupLocation) -> Int {
        let (amounts, unread) = held(in: earlier + [current], folder: folder)
        return amounts.values.reduce(0) { $0 + $1.count } + unread.reduce(0) { $0 + $1.totalRecords }
    }

    /// The month's backup files on disk (`backup_YYYY_MM.csv`, `.vN.csv`, `.age`), oldest first,
    /// that read as whole backups (the header, and a count of their records) — versions to keep
    /// when the manifest that listed them is lost (break-close 11). One that cannot be read here
    /// (encrypted, no identity) cannot be described and is left out, with a warning.
    func readoptable(in folder: BackupLocation, closed: Bool) -> [BackupVersion] {
        let stem = "backup_\(folder.month.folderName)"
        var found: [(Int, String)] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.directory.path)) ?? [] where name.hasPrefix(stem) {
            var rest = name.dropFirst(stem.count)
            if rest.hasSuffix(BackupEncryption.suffix) { rest = rest.dropLast(BackupEncryption.suffix.count) }
            if rest == ".csv" { found.append((1, name)) }
            if rest.hasPrefix(".v"), rest.hasSuffix(".csv"), let n = Int(rest.dropFirst(2).dropLast(4)) { found.append((n, name)) }
        }
        return found.sorted { $0.0 < $1.0 }.compactMap { number, name in
            let url = folder.file(name)
            let encrypted = name.hasSuffix(BackupEncryption.suffix)
            guard let scan = try? BackupFileScan.read(url, encrypted: encrypted, encryption: encryption, collectIDs: false),
                  scan.contentsRead, scan.decryptionError == nil, scan.counter.header == BackupCSV.columns else {
                logger.warning("a backup file its manifest no longer lists cannot be read here, so it was not adopted into the new manifest", metadata: [
                    "file": "\(url.path)", "hint": "run this again where BACKUP_AGE_IDENTITY_FILE opens it",
                ])
                return nil
            }
            var records: [String: Int] = ["pagamento": 0, "sessao": 0, "comissao": 0, "gasto": 0]
            records.merge(scan.counter.byFirstField) { _, counted in counted }
            let created = (try? FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? Date()
            return BackupVersion(version: number, file: name, sha256: scan.sha256, sizeBytes: scan.sizeBytes, records: records,
                                 totalRecords: scan.counter.records, createdAt: created,
                                 scope: number == 1 || !closed ? .month : .afterClose,
                                 encryption: encrypted ? BackupEncryption.format : nil)
        }
    }

    /// A new manifest for `versions` (the last is its current one), written beside them.
    func readopt(_ versions: [BackupVersion], month: StudioMonth) throws -> BackupManifest {
        guard let current = versions.last else { throw BackupError.closedWithoutBackup(month) }
        let folder = BackupLocation(baseDirectory: baseDirectory, month: month)
        var manifest = BackupManifest(
            month: month.label, file: current.file, sha256: current.sha256, sizeBytes: current.sizeBytes, records: current.records,
            totalRecords: current.totalRecords, columns: BackupCSV.columns, createdAt: current.createdAt, jobID: nil,
            encryption: current.encryption, recipients: nil, version: current.version, scope: current.scope, totals: nil,
            history: versions.count > 1 ? Array(versions.dropLast()) : nil)
        manifest.monthRecords = monthRecords(Array(versions.dropLast()), plus: current, folder: folder)
        try writeManifest(manifest, to: folder.manifest)
        logger.warning("the month's backup manifest was missing: rebuilt it from the intact backup files", metadata: [
            "month": "\(month)", "files": "\(versions.map(\.file).joined(separator: ", "))",
        ])
        return manifest
    }
}
