import Foundation
import Database
import JobQueue
import Logging
import PostgresNIO

/// Closes a month inside a caller's transaction: serializes the month's records into the
/// extrato, computes its totals, deletes the originals and logs the run — all or nothing.
public struct ExtratoGenerator: Sendable {
    public enum Outcome: Sendable, Equatable {
        case generated(moved: [String: Int])
        /// The month had an extrato and `force` was not given: nothing changed.
        case alreadyGenerated
    }

    public let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// `backedUpRecords`: what the month's verified backup holds, record by record (amount in
    /// cents by id by type, ``BackupVerifier/Report/heldRecords``). With it, the close refuses —
    /// and rolls back — when a record it serialized into the extrato is not in the backup or has
    /// another amount there: a record that arrived, or changed, between the backup check and
    /// this transaction would otherwise leave the tables without being in any backup.
    /// Without it (an encrypted backup read without an identity), `backedUpFingerprint` (the
    /// manifest's fingerprint of the records the backup holds) must be that of what the first
    /// close of the month serializes; and `backedUp` (how many records
    /// of each type the backup holds) and `backedUpTotals` (their exact sums of `valor`) are
    /// compared instead.
    ///
    /// The deletes remove exactly the rows the extrato received, by id: a row that commits
    /// while the close waits on a lock (a DELETE's ON DELETE SET NULL on a session another
    /// transaction holds) is not in the extrato's snapshot, so it stays in the tables as a late
    /// record instead of vanishing.
    public func close(_ month: StudioMonth, force: Bool, jobID: Int64?, backedUp: [String: Int]? = nil,
                      backedUpTotals: [String: String]? = nil, backedUpRecords: [String: [Int64: Int64]]? = nil,
                      backedUpFingerprint: String? = nil, on connection: PostgresConnection) async throws -> Outcome {
        let started = ContinuousClock.now
        // Closes of one month queue up here; the second then finds the extrato made.
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\("extrato:" + month.label)))", logger: logger)
        var exists = false
        for try await _ in try await connection.query(
            "SELECT 1 FROM extratos WHERE ano = \(month.year) AND mes = \(month.month)", logger: logger
        ).decode(Int.self) { exists = true }
        if exists && !force {
            try await logRun(month, status: "skipped", moved: [:], started: started, error: nil,
                             message: "already generated", forced: false, jobID: jobID, on: connection)
            return .alreadyGenerated
        }
        // Lock the month's rows (none of them can change until the commit), then snapshot, total
        // and insert (or merge when forced) in one statement that returns what it serialized.
        for statement in Self.rowLocks(month) {
            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
        var serialized = MonthRows()
        do {
            for try await (type, ids, cents, total) in try await connection.query(Self.upsertExtrato(month, jobID: jobID), logger: logger)
                .decode((String, [Int64], [Int64], String).self) {
                serialized.add(type, ids: ids, cents: cents, total: total)
            }
        } catch where ExtratoTooLarge.matches(DatabaseErrorMessage.describe(error)) {
            throw ExtratoTooLarge(month: month.label)
        }
        var unbacked = Self.unbacked(serialized, records: backedUpRecords, counts: backedUp, totals: backedUpTotals)
        // A backup that could not be read here vouches by its fingerprint: exactly these records.
        if backedUpRecords == nil, unbacked.isEmpty, !exists, let fingerprint = backedUpFingerprint,
           RecordFingerprint.of(serialized.amounts) != fingerprint {
            unbacked.append("the records to close are not the ones the backup holds (one was added, removed, swapped or changed after the backup "
                + "was checked; the backup's fingerprint differs)")
        }
        if !unbacked.isEmpty { throw BackupError.missingOrInvalid(month, problems: unbacked) }
        var moved: [String: Int] = [:]
        for (type, table) in Self.deleteOrder {
            let ids = Array((serialized.amounts[type] ?? [:]).keys)
            var count = 0
            if !ids.isEmpty {
                for try await n in try await connection.query(Self.delete(table: table, ids: ids), logger: logger).decode(Int.self) { count = n }
            }
            moved[type] = count
        }
        try await logRun(month, status: "success", moved: moved, started: started, error: nil,
                         message: exists ? "regenerated (forced): merged with the existing snapshot" : "generated",
                         forced: force, jobID: jobID, on: connection)
        return .generated(moved: moved)
    }

    /// What the extrato received that the backup does not hold (empty: all of it is backed up).
    static func unbacked(_ serialized: MonthRows, records: [String: [Int64: Int64]]?, counts: [String: Int]?,
                         totals: [String: String]?) -> [String] {
        var problems: [String] = []
        for type in ClosedMonth.types {
            let rows = serialized.amounts[type] ?? [:]
            if let records {
                let held = records[type] ?? [:]
                let missing = rows.keys.filter { held[$0] == nil }.count
                let changed = rows.filter { id, cents in held[id].map { $0 != cents } ?? false }.count
                if missing > 0 { problems.append("\(missing) \(type) record(s) arrived after the backup was checked") }
                if changed > 0 { problems.append("\(changed) \(type) record(s) have another amount than in the backup: a record changed after the backup was checked") }
            } else if let counts, rows.count > counts[type] ?? 0 {
                problems.append("\(rows.count - (counts[type] ?? 0)) \(type) record(s) arrived after the backup was checked")
            } else if let expected = totals?[type], let total = serialized.totals[type], expected != total {
                problems.append("the \(type) records total \(total) now, the backup holds \(expected): a record changed after the backup was checked")
            }
        }
        return problems
    }

    /// The close as plain SQL statements, for running the same work by hand in psql (the
    /// benchmark's baseline). Locks, snapshot and totals, deletes.
    public static func script(_ month: StudioMonth) -> [String] {
        [
            "SELECT pg_advisory_xact_lock(hashtext('extrato:\(month.label)'))",
        ] + rowLocks(month) + [upsertExtrato(month, jobID: nil).sql] + deletes(month).map { $0.1.sql }
    }

    /// Locks every row of the month, one statement per table.
    static func rowLocks(_ month: StudioMonth) -> [String] {
        [
            "SELECT count(*)::int, \(MonthRecords.totalSQL("l.valor")) FROM (SELECT valor FROM pagamentos p WHERE \(MonthRecords.inMonth("p", month)) FOR UPDATE) AS l",
            "SELECT count(*)::int, \(MonthRecords.totalSQL("l.valor")) FROM (SELECT valor FROM sessoes s WHERE \(MonthRecords.inMonth("s", month)) FOR UPDATE) AS l",
            "SELECT count(*)::int, \(MonthRecords.totalSQL("l.valor")) FROM (SELECT valor FROM comissoes cm WHERE \(MonthRecords.comissaoInMonth("cm", month)) FOR UPDATE) AS l",
            "SELECT count(*)::int, \(MonthRecords.totalSQL("l.valor")) FROM (SELECT valor FROM gastos g WHERE \(MonthRecords.inMonth("g", month)) FOR UPDATE) AS l",
        ]
    }

    /// The snapshot and totals in one statement. Each source set is read once (MATERIALIZED);
    /// totals are summed from the rows, plus the old extrato's totals when a forced run merges.
    static func upsertExtrato(_ month: StudioMonth, jobID: Int64?) -> PostgresQuery {
        // Only validated integers are spliced in; no text value enters this SQL.
        let job = jobID.map(String.init) ?? "NULL"
        return PostgresQuery(unsafeSQL: """
            WITH p AS MATERIALIZED (
                SELECT p.*, c.name AS cliente_name, a.name AS artista_name
                FROM pagamentos p JOIN clientes c ON c.id = p.cliente_id JOIN artistas a ON a.id = p.artista_id
                WHERE \(MonthRecords.inMonth("p", month))
            ), s AS MATERIALIZED (
                SELECT s.*, c.name AS cliente_name, a.name AS artista_name
                FROM sessoes s JOIN clientes c ON c.id = s.cliente_id JOIN artistas a ON a.id = s.artista_id
                WHERE \(MonthRecords.inMonth("s", month))
            ), cm AS MATERIALIZED (
                SELECT cm.*, a.name AS artista_name
                FROM comissoes cm JOIN artistas a ON a.id = cm.artista_id
                WHERE \(MonthRecords.comissaoInMonth("cm", month))
            ), g AS MATERIALIZED (
                SELECT g.* FROM gastos g WHERE \(MonthRecords.inMonth("g", month))
            ), old AS MATERIALIZED (
                SELECT * FROM extratos WHERE ano = \(month.year) AND mes = \(month.month)
            ), totals AS MATERIALIZED (
                -- A forced run adds the new records to the old snapshot and its totals.
                SELECT coalesce((SELECT pagamentos FROM old), '[]'::jsonb)
                           || coalesce((SELECT jsonb_agg(to_jsonb(p) ORDER BY p.id) FROM p), '[]'::jsonb) AS pagamentos,
                       coalesce((SELECT sessoes FROM old), '[]'::jsonb)
                           || coalesce((SELECT jsonb_agg(to_jsonb(s) ORDER BY s.id) FROM s), '[]'::jsonb) AS sessoes,
                       coalesce((SELECT comissoes FROM old), '[]'::jsonb)
                           || coalesce((SELECT jsonb_agg(to_jsonb(cm) ORDER BY cm.id) FROM cm), '[]'::jsonb) AS comissoes,
                       coalesce((SELECT gastos FROM old), '[]'::jsonb)
                           || coalesce((SELECT jsonb_agg(to_jsonb(g) ORDER BY g.id) FROM g), '[]'::jsonb) AS gastos,
                       coalesce((SELECT total_receita FROM old), 0) + (SELECT coalesce(sum(valor), 0) FROM p) AS receita,
                       coalesce((SELECT total_comissoes FROM old), 0) + (SELECT coalesce(sum(valor), 0) FROM cm) AS comissoes_total,
                       coalesce((SELECT total_gastos FROM old), 0) + (SELECT coalesce(sum(valor), 0) FROM g) AS gastos_total,
                       (SELECT coalesce(jsonb_object_agg(forma, total), '{}'::jsonb) FROM (
                            SELECT forma, sum(total) AS total FROM (
                                SELECT key AS forma, value::numeric AS total
                                FROM old, jsonb_each_text(old.receita_por_forma)
                                UNION ALL
                                SELECT forma_pagamento, valor FROM p
                            ) AS both_snapshots GROUP BY forma) AS f) AS por_forma
            ), written AS (
            INSERT INTO extratos (ano, mes, pagamentos, sessoes, comissoes, gastos, total_receita, total_comissoes,
                                  total_gastos, saldo, receita_por_forma, contagens, job_id)
            SELECT \(month.year), \(month.month), pagamentos, sessoes, comissoes, gastos, receita, comissoes_total,
                   gastos_total, receita - comissoes_total - gastos_total, por_forma,
                   jsonb_build_object('pagamentos', jsonb_array_length(pagamentos), 'sessoes', jsonb_array_length(sessoes),
                                      'comissoes', jsonb_array_length(comissoes), 'gastos', jsonb_array_length(gastos)),
                   \(job)
            FROM totals
            ON CONFLICT (ano, mes) DO UPDATE SET
                pagamentos = EXCLUDED.pagamentos, sessoes = EXCLUDED.sessoes, comissoes = EXCLUDED.comissoes,
                gastos = EXCLUDED.gastos, total_receita = EXCLUDED.total_receita,
                total_comissoes = EXCLUDED.total_comissoes, total_gastos = EXCLUDED.total_gastos,
                saldo = EXCLUDED.saldo, receita_por_forma = EXCLUDED.receita_por_forma,
                contagens = EXCLUDED.contagens, job_id = EXCLUDED.job_id, updated_at = now()
            RETURNING 1
            )
            SELECT 'pagamento'::text, \(MonthRecords.arraysSQL("p")) FROM p
            UNION ALL SELECT 'sessao', \(MonthRecords.arraysSQL("s")) FROM s
            UNION ALL SELECT 'comissao', \(MonthRecords.arraysSQL("cm")) FROM cm
            UNION ALL SELECT 'gasto', \(MonthRecords.arraysSQL("g")) FROM g
            """)
    }

    /// Deletes in dependency order: commissions, then payments (their sessions' link is set
    /// to NULL), then sessions, then expenses.
    static let deleteOrder = [("comissao", "comissoes"), ("pagamento", "pagamentos"), ("sessao", "sessoes"), ("gasto", "gastos")]

    /// Deletes the rows of `table` with these ids (those the extrato received); returns how many went.
    static func delete(table: String, ids: [Int64]) -> PostgresQuery {
        "WITH d AS (DELETE FROM \(unescaped: table) t USING unnest(\(ids)::int8[]) AS u(id) WHERE t.id = u.id RETURNING 1) SELECT count(*)::int FROM d"
    }

    /// The deletes as SQL text for the script: every row of the month (by hand, nothing waits).
    static func deletes(_ month: StudioMonth) -> [(String, PostgresQuery)] {
        [
            ("comissao", PostgresQuery(unsafeSQL: "WITH d AS (DELETE FROM comissoes cm WHERE \(MonthRecords.comissaoInMonth("cm", month)) RETURNING 1) SELECT count(*)::int FROM d")),
            ("pagamento", PostgresQuery(unsafeSQL: "WITH d AS (DELETE FROM pagamentos p WHERE \(MonthRecords.inMonth("p", month)) RETURNING 1) SELECT count(*)::int FROM d")),
            ("sessao", PostgresQuery(unsafeSQL: "WITH d AS (DELETE FROM sessoes s WHERE \(MonthRecords.inMonth("s", month)) RETURNING 1) SELECT count(*)::int FROM d")),
            ("gasto", PostgresQuery(unsafeSQL: "WITH d AS (DELETE FROM gastos g WHERE \(MonthRecords.inMonth("g", month)) RETURNING 1) SELECT count(*)::int FROM d")),
        ]
    }

    func logRun(_ month: StudioMonth, status: String, moved: [String: Int], started: ContinuousClock.Instant,
                error: String?, message: String?, forced: Bool, jobID: Int64?, on runner: any QueryRunner) async throws {
        try await ExtratoRunLog.insert(month, status: status, moved: moved,
                                      durationMilliseconds: Int(((ContinuousClock.now - started).timeInterval * 1000).rounded()),
                                      error: error, message: message, forced: forced, jobID: jobID, on: runner, logger: logger)
    }
}
