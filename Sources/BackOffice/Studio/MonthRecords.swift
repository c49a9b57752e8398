/// Which rows belong to a month, written once for the backup and the close.
///
/// Payments, sessions and expenses belong to the month of their `data`. A commission belongs
/// to its month or to its payment's month, so it always leaves with its payment.
enum MonthRecords {
    /// The SQL predicate text for a table aliased `t` (bind-free: dates are validated values).
    static func inMonth(_ alias: String, _ month: StudioMonth) -> String {
        "\(alias).data >= DATE '\(month.firstDay)' AND \(alias).data < DATE '\(month.nextFirstDay)'"
    }

    /// The exact sum of an amount column, as text with two decimals (`"0.00"` for no rows): one
    /// form for the backup's manifest, the verifier and the close, so they compare as text.
    static func totalSQL(_ column: String) -> String {
        "coalesce(sum(\(column)), 0)::numeric(18,2)::text"
    }

    /// An amount column in cents, exact, as ``BackupCSV/cents(_:)`` reads the CSV's `valor`
    /// (NULL as ``BackupCSV/noAmount``): the close and the check compare records by id and this.
    static func centsSQL(_ column: String) -> String {
        "coalesce((\(column) * 100)::int8, '\(BackupCSV.noAmount)'::int8)"
    }

    /// Per type, one row: `type, ids[], cents[], total` of the month's records in the tables,
    /// ids ascending and amounts in the same order.
    static func recordsSQL(_ month: StudioMonth) -> String {
        [("pagamento", "pagamentos p", inMonth("p", month)), ("sessao", "sessoes s", inMonth("s", month)),
         ("comissao", "comissoes cm", comissaoInMonth("cm", month)), ("gasto", "gastos g", inMonth("g", month))]
            .map { type, table, condition in
                let alias = String(table.split(separator: " ")[1])
                return "SELECT '\(type)'::text, " + arraysSQL(alias) + " FROM \(table) WHERE \(condition)"
            }.joined(separator: " UNION ALL ")
    }

    /// `ids[], cents[], total` of the rows of `alias`.
    static func arraysSQL(_ alias: String) -> String {
        "coalesce(array_agg(\(alias).id ORDER BY \(alias).id), '{}')::int8[], "
            + "coalesce(array_agg(\(centsSQL("\(alias).valor")) ORDER BY \(alias).id), '{}')::int8[], \(totalSQL("\(alias).valor"))"
    }

    /// A commission belongs to the month of its own date or of its payment's. The payment is
    /// looked up by primary key, row by row: an `IN (SELECT …)` of the month's payments was
    /// planned as a hashed subplan only while the month's payment ids fit in `work_mem`; past
    /// about 500,000 payments it became a scan of them per commission, and a 2M-record month's
    /// backup ran for minutes instead of seconds.
    static func comissaoInMonth(_ alias: String, _ month: StudioMonth) -> String {
        "(\(inMonth(alias, month)) OR EXISTS (SELECT 1 FROM pagamentos p2 WHERE p2.id = \(alias).pagamento_id AND \(inMonth("p2", month))))"
    }

    /// The same commissions as ``comissaoInMonth(_:_:)``, for a statement that joins each one's
    /// payment (`payment`), as two disjoint predicates to run as two branches of a UNION ALL:
    /// those dated in the month, and those of a payment in the month dated in another. Each
    /// branch reads only its month's rows (`data` is NOT NULL, so the two never overlap).
    static func comissaoInMonthBranches(_ alias: String, payment: String, _ month: StudioMonth) -> [String] {
        [inMonth(alias, month), "\(inMonth(payment, month)) AND NOT (\(inMonth(alias, month)))"]
    }
}
