import Foundation
import Logging
import PostgresNIO

/// A closed month as the backup is checked against it: the ids its extrato holds, and the
/// month's rows still in the tables — records that arrived after the close. Read in one
/// statement, so one snapshot.
struct ClosedMonth {
    struct Row {
        var id: Int64
        var date: String
        /// Its amount in cents (``MonthRecords/centsSQL(_:)``).
        var cents: Int64 = 0
    }

    var extrato: [String: [Int64]] = [:]
    var late: [String: [Row]] = [:]

    static let types = ["pagamento", "sessao", "comissao", "gasto"]

    /// Nil while the month has no extrato.
    static func read(_ month: StudioMonth, client: PostgresClient, logger: Logger) async throws -> ClosedMonth? {
        let extrato = "FROM extratos x, jsonb_array_elements(x.%@) e WHERE x.ano = \(month.year) AND x.mes = \(month.month)"
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT 'closed'::text, 0::int8, ''::text, false, 0::int8 FROM extratos WHERE ano = \(month.year) AND mes = \(month.month)
            UNION ALL SELECT 'pagamento', (e->>'id')::int8, e->>'data', false, 0::int8 \(String(format: extrato, "pagamentos"))
            UNION ALL SELECT 'sessao', (e->>'id')::int8, e->>'data', false, 0::int8 \(String(format: extrato, "sessoes"))
            UNION ALL SELECT 'comissao', (e->>'id')::int8, e->>'data', false, 0::int8 \(String(format: extrato, "comissoes"))
            UNION ALL SELECT 'gasto', (e->>'id')::int8, e->>'data', false, 0::int8 \(String(format: extrato, "gastos"))
            UNION ALL SELECT 'pagamento', p.id, p.data::text, true, \(MonthRecords.centsSQL("p.valor")) FROM pagamentos p WHERE \(MonthRecords.inMonth("p", month))
            UNION ALL SELECT 'sessao', s.id, s.data::text, true, \(MonthRecords.centsSQL("s.valor")) FROM sessoes s WHERE \(MonthRecords.inMonth("s", month))
            UNION ALL SELECT 'comissao', cm.id, cm.data::text, true, \(MonthRecords.centsSQL("cm.valor")) FROM comissoes cm WHERE \(MonthRecords.comissaoInMonth("cm", month))
            UNION ALL SELECT 'gasto', g.id, g.data::text, true, \(MonthRecords.centsSQL("g.valor")) FROM gastos g WHERE \(MonthRecords.inMonth("g", month))
            """), logger: logger)
        var closed = false
        var result = ClosedMonth()
        for try await (type, id, date, live, cents) in rows.decode((String, Int64, String?, Bool, Int64).self) {
            if type == "closed" { closed = true; continue }
            if live { result.late[type, default: []].append(Row(id: id, date: date ?? "", cents: cents)) } else { result.extrato[type, default: []].append(id) }
        }
        return closed ? result : nil
    }

    /// Every record of the extrato and every late record must be in an intact version. A late
    /// record counts as backed up when a version that was read holds its id with its amount, or
    /// when the month's late records, all together, have the fingerprint of a version that could
    /// not be read here (encrypted, no identity): the writer's rule for "already backed up", so
    /// the two never send the operator to each other (break-office3 5). A version that could not
    /// be read vouches for the extrato's records by its manifest's count. Returns the late
    /// records vouched for by a fingerprint, with their amounts.
    @discardableResult
    func check(_ held: Holdings, into report: inout BackupVerifier.Report) -> [String: [Int64: Int64]] {
        var lateAmounts: [String: [Int64: Int64]] = [:]
        for (type, rows) in late where !rows.isEmpty {
            lateAmounts[type] = Dictionary(rows.map { ($0.id, $0.cents) }, uniquingKeysWith: { _, later in later })
        }
        let vouchedByFingerprint = !lateAmounts.isEmpty && held.unreadFingerprints.contains(RecordFingerprint.of(lateAmounts))
        var countedOnly = false
        for type in Self.types {
            let amounts = held.amounts[type] ?? [:]
            let ids = amounts.keys
            // Versions whose contents could not be read vouch for as many records as their manifests say.
            let unread = held.unreadCounts[type] ?? 0
            var vouched = unread
            countedOnly = countedOnly || vouched > 0
            var missing = (extrato[type] ?? []).filter { !ids.contains($0) }.count
            let absorbed = min(missing, vouched)
            missing -= absorbed
            vouched -= absorbed
            if missing > 0 {
                report.extratoUnheld += missing
                report.problems.append("\(missing) \(type) record(s) of the month's extrato are in no intact version of its backup: "
                    + "the backup no longer holds the closed month (it was shrunk or lost), and they survive only in the extrato")
            }
            var held: [Row] = [], unheld: [Row] = [], changed: [Row] = []
            for row in late[type] ?? [] {
                if vouchedByFingerprint && amounts[row.id] == nil { held.append(row); continue }
                switch amounts[row.id] {
                case row.cents?: held.append(row)
                case nil: unheld.append(row)
                case _?: changed.append(row)
                }
            }
            if !changed.isEmpty {
                report.problems.append("\(changed.count) \(type) record(s) that arrived after the close changed amount since their backup version "
                    + "(dated \(Array(Set(changed.map(\.date))).sorted().joined(separator: ", "))): run `nightshift backup create --year \(report.month.prefix(4)) --month \(Int(report.month.suffix(2)) ?? 0)` to back them up as they are now")
            }
            if !unheld.isEmpty, unread > 0 {
                report.notes.append("some versions of the backup could not be read here (encrypted, no BACKUP_AGE_IDENTITY_FILE): a late record is backed up only when a version that was read holds it")
            }
            report.heldLive[type] = held.count
            for (rows, backedUp) in [(unheld, false), (held, true)] where !rows.isEmpty {
                let finding = LateRecords(type: type, count: rows.count, dates: Array(Set(rows.map(\.date))).sorted(), backedUp: backedUp)
                report.lateRecords.append(finding)
                if backedUp { report.notes.append(finding.description) } else { report.problems.append(finding.description) }
            }
        }
        if countedOnly {
            report.notes.append("some versions are encrypted and no identity is set here: their records were counted from their manifests, not matched by id")
        }
        if vouchedByFingerprint {
            report.notes.append("the records that arrived after the close are held by a version that cannot be read here, by its manifest's fingerprint")
            return lateAmounts
        }
        return [:]
    }
}
