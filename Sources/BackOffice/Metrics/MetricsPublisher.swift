import Cron
import Database
import Foundation
import Logging
import ObjectStorage
import PostgresNIO

/// Pushes daily summaries (seed 004's metrics push): computes a day, records it in
/// `daily_summaries`, writes `{branch}/metrics/{date}.json`, and catches up on the last 14 days
/// whose object is missing or not yet final. A day pushed twice with the same figures writes
/// the same bytes.
public struct MetricsPublisher: Sendable {
    public let branch: BranchSettings
    public let store: any ObjectStore
    public let client: PostgresClient
    public let logger: Logger
    /// The days catch-up looks back over, today included.
    public static let catchUpDays = 14

    public init(branch: BranchSettings, store: any ObjectStore, client: PostgresClient, logger: Logger) {
        self.branch = branch
        self.store = store
        self.client = client
        self.logger = logger
    }

    public static func key(branch: String, date: String) -> String { "\(branch)/metrics/\(date).json" }

    /// Computes and pushes one day; returns what was pushed.
    @discardableResult
    public func push(_ date: LocalDate, now: Date = Date()) async throws -> DailySummary {
        let figures = try await DailySummaryQuery.figures(for: date.description, client: client, logger: logger)
        var summary = DailySummary(
            branchID: branch.id, branchName: branch.name, summaryDate: date.description, generatedAt: Self.timestamp(now, branch.timeZone),
            isFinal: now >= Self.start(of: date.adding(days: 1), in: branch.timeZone), currency: branch.currency,
            source: figures.closed ? "extrato" : "records", sessionCount: figures.sessions, paymentCount: figures.payments,
            commissionCount: figures.commissions, expenseCount: figures.expenses, grossRevenue: figures.revenue,
            revenueByPaymentMethod: Dictionary(uniqueKeysWithValues: DailySummary.paymentMethods.map { ($0, figures.byMethod[$0] ?? 0) }),
            cashCollected: figures.byMethod["dinheiro"] ?? 0,
            digitalCollected: figures.revenue - (figures.byMethod["dinheiro"] ?? 0),
            totalCommissions: figures.commissionTotal, totalExpenses: figures.expenseTotal,
            netProfit: figures.revenue - figures.commissionTotal - figures.expenseTotal)
        // Same figures as last time: keep that time, so the object is byte for byte the same.
        if let previous = try await stored(date), previous.sameFigures(as: summary) { summary.generatedAt = previous.generatedAt }
        let key = Self.key(branch: branch.id, date: date.description)
        let body = try summary.json()
        let put = try await store.put(key, data: body, contentType: "application/json")
        try await record(summary, key: key, sha256: put.sha256 ?? "")
        return summary
    }

    /// Pushes every day of the last ``catchUpDays`` (up to `today`) whose object is missing,
    /// or whose last push was not final although the day is over. Returns the days pushed.
    @discardableResult
    public func catchUp(today: LocalDate, now: Date = Date()) async throws -> [LocalDate] {
        let present = Set(try await store.list(prefix: "\(branch.id)/metrics/").map(\.key))
        let unfinished = try await unfinishedDays()
        var pushed: [LocalDate] = []
        for offset in stride(from: Self.catchUpDays - 1, through: 0, by: -1) {
            let day = today.adding(days: -offset)
            let missing = !present.contains(Self.key(branch: branch.id, date: day.description))
            let stale = unfinished.contains(day.description) && now >= Self.start(of: day.adding(days: 1), in: branch.timeZone)
            if missing || stale {
                try await push(day, now: now)
                pushed.append(day)
            }
        }
        if !pushed.isEmpty { logger.info("metrics caught up", metadata: ["days": "\(pushed.map(\.description))"]) }
        return pushed
    }

    private func stored(_ date: LocalDate) async throws -> DailySummary? {
        let rows = try await client.query("""
            SELECT generated_at, is_final, currency, source, session_count, payment_count, commission_count, expense_count,
                   gross_revenue, revenue_by_method::text, total_commissions, total_expenses, net_profit
            FROM daily_summaries WHERE branch = \(branch.id) AND summary_date = \(date.description)::date
            """, logger: logger)
        for try await row in rows {
            let (generated, isFinal, currency, source, sessions, payments, commissions, expenses, revenue) =
                try row.decode((Date, Bool, String, String, Int, Int, Int, Int, Int64).self)
            let cells = row.makeRandomAccess()
            let methods = try cells[9].decode(String.self)
            let (commissionTotal, expenseTotal, net) = (try cells[10].decode(Int64.self), try cells[11].decode(Int64.self), try cells[12].decode(Int64.self))
            let byMethod = (try? JSONDecoder().decode([String: Int64].self, from: Data(methods.utf8))) ?? [:]
            return DailySummary(
                branchID: branch.id, branchName: branch.name, summaryDate: date.description,
                generatedAt: Self.timestamp(generated, branch.timeZone), isFinal: isFinal, currency: currency, source: source,
                sessionCount: sessions, paymentCount: payments, commissionCount: commissions, expenseCount: expenses,
                grossRevenue: revenue, revenueByPaymentMethod: byMethod, cashCollected: byMethod["dinheiro"] ?? 0,
                digitalCollected: revenue - (byMethod["dinheiro"] ?? 0), totalCommissions: commissionTotal,
                totalExpenses: expenseTotal, netProfit: net)
        }
        return nil
    }

    private func record(_ summary: DailySummary, key: String, sha256: String) async throws {
        let methods = String(decoding: try JSONEncoder.sorted.encode(summary.revenueByPaymentMethod), as: UTF8.self)
        guard let generated = Self.parseTimestamp(summary.generatedAt) else { return }
        try await client.query("""
            INSERT INTO daily_summaries (branch, summary_date, generated_at, is_final, currency, source, session_count,
                                         payment_count, commission_count, expense_count, gross_revenue, revenue_by_method,
                                         total_commissions, total_expenses, net_profit, object_key, sha256, pushed_at)
            VALUES (\(summary.branchID), \(summary.summaryDate)::date, \(generated), \(summary.isFinal), \(summary.currency),
                    \(summary.source), \(summary.sessionCount), \(summary.paymentCount), \(summary.commissionCount),
                    \(summary.expenseCount), \(summary.grossRevenue), \(methods)::jsonb, \(summary.totalCommissions),
                    \(summary.totalExpenses), \(summary.netProfit), \(key), \(sha256), now())
            ON CONFLICT (branch, summary_date) DO UPDATE SET
                generated_at = EXCLUDED.generated_at, is_final = EXCLUDED.is_final, currency = EXCLUDED.currency,
                source = EXCLUDED.source, session_count = EXCLUDED.session_count, payment_count = EXCLUDED.payment_count,
                commission_count = EXCLUDED.commission_count, expense_count = EXCLUDED.expense_count,
                gross_revenue = EXCLUDED.gross_revenue, revenue_by_method = EXCLUDED.revenue_by_method,
                total_commissions = EXCLUDED.total_commissions, total_expenses = EXCLUDED.total_expenses,
                net_profit = EXCLUDED.net_profit, object_key = EXCLUDED.object_key, sha256 = EXCLUDED.sha256, pushed_at = now()
            """, logger: logger)
    }

    private func unfinishedDays() async throws -> Set<String> {
        var days = Set<String>()
        for try await day in try await client.query("""
            SELECT summary_date::text FROM daily_summaries
            WHERE branch = \(branch.id) AND NOT is_final AND summary_date > current_date - 30
            """, logger: logger).decode(String.self) { days.insert(day) }
        return days
    }

    /// The instant a local day begins in `zone`.
    static func start(of date: LocalDate, in zone: TimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar.date(from: DateComponents(year: date.year, month: date.month, day: date.day)) ?? Date.distantFuture
    }

    /// `2026-02-16T21:45:00+05:30`, seconds precision, as seed 004 writes it.
    static func timestamp(_ instant: Date, _ zone: TimeZone) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = zone
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: instant.timeIntervalSince1970.rounded(.down)))
    }

    static func parseTimestamp(_ text: String) -> Date? { ISO8601DateFormatter().date(from: text) }
}
