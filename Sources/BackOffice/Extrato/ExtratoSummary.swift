import Foundation

/// A closed month's extrato as an operator reads it: totals and counts, without the records.
/// Amounts are exact decimal text in reais (`"1234.56"`), as `numeric` renders them.
public struct ExtratoSummary: Sendable, Codable, Equatable {
    public var month: String
    public var year: Int
    public var monthNumber: Int
    public var totalReceita: String
    public var totalComissoes: String
    public var totalGastos: String
    public var saldo: String
    /// Receita per payment method (`pix`, `dinheiro`…), exact.
    public var receitaPorForma: [String: String]
    /// Records per type (`pagamentos`, `sessoes`, `comissoes`, `gastos`).
    public var contagens: [String: Int]
    public var createdAt: Date
    public var updatedAt: Date
    public var jobID: Int64?
}
