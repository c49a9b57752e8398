/// Which rows belong to a month, written once for the backup and the close.
///
/// Payments, sessions and expenses belong to the month of their `data`. A commission belongs
/// to its month or to its payment's month, so it always leaves with its payment.
enum MonthRecords {
    /// The SQL predicate text for a table aliased `t` (bind-free: dates are validated values).
    static func inMonth(_ alias: String, _ month: StudioMonth) -> String {
        "\(alias).data >= DATE '\(month.firstDay)' AND \(alias).data < DATE '\(month.nextFirstDay)'"
    }

    static func comissaoInMonth(_ alias: String, _ month: StudioMonth) -> String {
        "(\(inMonth(alias, month)) OR \(alias).pagamento_id IN (SELECT p2.id FROM pagamentos p2 WHERE \(inMonth("p2", month))))"
    }
}
