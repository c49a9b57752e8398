import Foundation
import JobQueue
import Logging
import PostgresNIO

/// Writes a month's backup CSV from one consistent snapshot, streaming rows to disk.
public struct MonthBackupWriter: Sendable {
    public enum Outcome: Sendable, Equatable {
        case created(BackupManifest)
        /// A valid backup was there already (the seed's 409); nothing was rewritten.
        case alreadyExists(BackupManifest)
    }

    public let client: PostgresClient
    public let baseDirectory: URL
    public let logger: Logger

    public init(client: PostgresClient, baseDirectory: URL, logger: Logger) {
        self.client = client
        self.baseDirectory = baseDirectory
        self.logger = logger
    }

    public func create(_ month: StudioMonth, force: Bool = false, jobID: Int64? = nil) async throws -> Outcome {
        let location = BackupLocation(baseDirectory: baseDirectory, month: month)
        if !force, let manifest = try? await BackupVerifier(client: nil, baseDirectory: baseDirectory, logger: logger).verifiedManifest(month) {
            return .alreadyExists(manifest)
        }
        let csv = try AtomicFile(destination: location.csv)
        do {
            try csv.write(BackupCSV.byteOrderMark)
            try csv.write(BackupCSV.headerLine)
            var counts: [String: Int] = ["pagamento": 0, "sessao": 0, "comissao": 0, "gasto": 0]
            try await Transaction.run(on: client, logger: logger) { connection in
                try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
                let rows = try await connection.query(Self.query(month), logger: logger)
                for try await row in rows {
                    var fields: [String?] = []
                    fields.reserveCapacity(BackupCSV.columns.count)
                    for cell in row { fields.append(try cell.decode(String?.self)) }
                    counts[fields[0] ?? "", default: 0] += 1
                    try csv.write(BackupCSV.line(fields))
                }
            }
            let sha256 = try csv.commit()
            let manifest = BackupManifest(
                month: month.label, file: location.fileName, sha256: sha256, sizeBytes: csv.size, records: counts,
                totalRecords: counts.values.reduce(0, +), columns: BackupCSV.columns, createdAt: Date(), jobID: jobID)
            let manifestFile = try AtomicFile(destination: location.manifest)
            do {
                try manifestFile.write(Array(try BackupManifest.encoder.encode(manifest)))
                _ = try manifestFile.commit()
            } catch {
                manifestFile.discard()
                throw error
            }
            logger.info("backup written", metadata: ["file": "\(location.csv.path)", "records": "\(manifest.totalRecords)", "bytes": "\(manifest.sizeBytes)"])
            return .created(manifest)
        } catch {
            csv.discard()
            throw error
        }
    }

    /// Every record of the month from the four tables, as text in the CSV's column order.
    static func query(_ month: StudioMonth) -> PostgresQuery {
        let ts = { (column: String) in "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')" }
        return PostgresQuery(unsafeSQL: """
            SELECT 'pagamento', p.id::text, p.data::text, p.valor::text, p.forma_pagamento, p.observacoes,
                   c.name, a.name, \(ts("p.created_at")), \(ts("p.updated_at")),
                   p.sessao_id::text, NULL, NULL, NULL, NULL, NULL
            FROM pagamentos p JOIN clientes c ON c.id = p.cliente_id JOIN artistas a ON a.id = p.artista_id
            WHERE \(MonthRecords.inMonth("p", month))
            UNION ALL
            SELECT 'sessao', s.id::text, s.data::text, s.valor::text, NULL, s.observacoes,
                   c.name, a.name, \(ts("s.created_at")), \(ts("s.updated_at")),
                   NULL, s.payment_id::text, NULL, s.status, NULL, NULL
            FROM sessoes s JOIN clientes c ON c.id = s.cliente_id JOIN artistas a ON a.id = s.artista_id
            WHERE \(MonthRecords.inMonth("s", month))
            UNION ALL
            SELECT 'comissao', cm.id::text, cm.data::text, cm.valor::text, NULL, cm.observacoes,
                   c.name, a.name, \(ts("cm.created_at")), \(ts("cm.updated_at")),
                   NULL, cm.pagamento_id::text, cm.percentual::text, NULL, NULL, NULL
            FROM comissoes cm JOIN artistas a ON a.id = cm.artista_id
            JOIN pagamentos pp ON pp.id = cm.pagamento_id JOIN clientes c ON c.id = pp.cliente_id
            WHERE \(MonthRecords.comissaoInMonth("cm", month))
            UNION ALL
            SELECT 'gasto', g.id::text, g.data::text, g.valor::text, g.forma_pagamento, g.observacoes,
                   NULL, NULL, \(ts("g.created_at")), \(ts("g.updated_at")),
                   NULL, NULL, NULL, NULL, g.descricao, g.categoria
            FROM gastos g
            WHERE \(MonthRecords.inMonth("g", month))
            """)
    }
}
