import Foundation

/// One day of one branch in figures (seed 004's metrics JSON, adapted to the studio), pushed to
/// `{branch}/metrics/{YYYY-MM-DD}.json`. Every amount is an integer in the currency's minor
/// unit (centavos for BRL), computed exactly from `numeric`.
public struct DailySummary: Sendable, Codable, Equatable {
    public var schemaVersion = 1
    public var branchID: String
    public var branchName: String
    /// `YYYY-MM-DD`, the day in the branch's zone.
    public var summaryDate: String
    /// When these figures were computed, in the branch's zone with its offset.
    public var generatedAt: String
    /// True once the day is over in the branch's zone: the figures will not change.
    public var isFinal: Bool
    public var currency: String
    /// `records` while the month is open; `extrato` once it is closed (the figures then come
    /// from the month's snapshot, plus any records that arrived after the close).
    public var source: String
    public var sessionCount: Int
    public var paymentCount: Int
    public var commissionCount: Int
    public var expenseCount: Int
    /// Payments received.
    public var grossRevenue: Int64
    /// Payments by method: dinheiro, pix, cartao_credito, cartao_debito, transferencia, outros.
    public var revenueByPaymentMethod: [String: Int64]
    /// `dinheiro`.
    public var cashCollected: Int64
    /// Every other method.
    public var digitalCollected: Int64
    public var totalCommissions: Int64
    public var totalExpenses: Int64
    /// Revenue less commissions and expenses.
    public var netProfit: Int64

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", branchID = "branch_id", branchName = "branch_name", summaryDate = "summary_date"
        case generatedAt = "generated_at", isFinal = "is_final", currency, source
        case sessionCount = "session_count", paymentCount = "payment_count", commissionCount = "commission_count"
        case expenseCount = "expense_count", grossRevenue = "gross_revenue", revenueByPaymentMethod = "revenue_by_payment_method"
        case cashCollected = "cash_collected", digitalCollected = "digital_collected", totalCommissions = "total_commissions"
        case totalExpenses = "total_expenses", netProfit = "net_profit"
    }

    public static let paymentMethods = ["dinheiro", "pix", "cartao_credito", "cartao_debito", "transferencia", "outros"]

    /// The object's bytes: sorted keys, so the same figures always make the same bytes.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(0x0A)
        return data
    }

    /// The figures without the time they were computed: two summaries with equal figures are
    /// the same push.
    func sameFigures(as other: DailySummary) -> Bool {
        var a = self, b = other
        a.generatedAt = ""
        b.generatedAt = ""
        return a == b
    }
}
