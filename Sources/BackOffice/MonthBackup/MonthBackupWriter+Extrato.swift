/// The month's records as its extrato stored them (`to_jsonb` of each row, with the names the
/// close joined in), in the backup CSV's 16 columns: what `backup create --from-extrato` writes
/// when the month is closed and its backup no longer holds what the extrato does (break-close 3).
/// A commission's client is its payment's, looked up among the month's stored payments, else
/// in the tables (a payment of another month still there); empty when neither has it.
extension MonthBackupWriter {
    /// The extrato's elements per type, `e` one record, `x` the extrato row.
    static func extratoSelects(_ month: StudioMonth) -> [(type: String, fields: [String], from: String)] {
        let ts = { (key: String) in "to_char((e->>'\(key)')::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')" }
        let of = "FROM extratos x, jsonb_array_elements(x.%@) e WHERE x.ano = \(month.year) AND x.mes = \(month.month)"
        let f = { (key: String) in "e->>'\(key)'" }
        return [
            ("pagamento", ["'pagamento'::text", f("id"), f("data"), f("valor"), f("forma_pagamento"), f("observacoes"),
                           f("cliente_name"), f("artista_name"), ts("created_at"), ts("updated_at"),
                           f("sessao_id"), "NULL::text", "NULL::text", "NULL::text", "NULL::text", "NULL::text"],
             of.replacingOccurrences(of: "%@", with: "pagamentos")),
            ("sessao", ["'sessao'::text", f("id"), f("data"), f("valor"), "NULL::text", f("observacoes"),
                        f("cliente_name"), f("artista_name"), ts("created_at"), ts("updated_at"),
                        "NULL::text", f("payment_id"), "NULL::text", f("status"), "NULL::text", "NULL::text"],
             of.replacingOccurrences(of: "%@", with: "sessoes")),
            ("comissao", ["'comissao'::text", f("id"), f("data"), f("valor"), "NULL::text", f("observacoes"),
                          "coalesce(pay.cliente_name, (SELECT c.name FROM pagamentos pp JOIN clientes c ON c.id = pp.cliente_id WHERE pp.id = (e->>'pagamento_id')::int8))",
                          f("artista_name"), ts("created_at"), ts("updated_at"),
                          "NULL::text", f("pagamento_id"), f("percentual"), "NULL::text", "NULL::text", "NULL::text"],
             "FROM extratos x CROSS JOIN LATERAL jsonb_array_elements(x.comissoes) e "
                + "LEFT JOIN (SELECT p->>'id' AS id, p->>'cliente_name' AS cliente_name FROM extratos x2, jsonb_array_elements(x2.pagamentos) p "
                + "WHERE x2.ano = \(month.year) AND x2.mes = \(month.month)) AS pay ON pay.id = e->>'pagamento_id' "
                + "WHERE x.ano = \(month.year) AND x.mes = \(month.month)"),
            ("gasto", ["'gasto'::text", f("id"), f("data"), f("valor"), f("forma_pagamento"), f("observacoes"),
                       "NULL::text", "NULL::text", ts("created_at"), ts("updated_at"),
                       "NULL::text", "NULL::text", "NULL::text", "NULL::text", f("descricao"), f("categoria")],
             of.replacingOccurrences(of: "%@", with: "gastos")),
        ]
    }

    /// Every record of the extrato, in the CSV's column order (the COPY's SELECT).
    static func extratoQuery(_ month: StudioMonth) -> String {
        extratoSelects(month).map { _, fields, from in "SELECT " + fields.joined(separator: ", ") + " " + from }
            .joined(separator: " UNION ALL ")
    }

    /// Per type: `type\tcount\ttotal`, as ``countSQL(_:)`` gives them for the tables.
    static func extratoCountSQL(_ month: StudioMonth) -> String {
        let branches = extratoSelects(month).map { _, fields, from in
            "SELECT \(fields[0]) AS t, 1 AS n, (\(fields[3]))::numeric AS v " + from
        }.joined(separator: " UNION ALL ")
        return "SELECT t, sum(n)::bigint, \(MonthRecords.totalSQL("v")) FROM (\(branches)) AS c GROUP BY t"
    }

    /// The extrato's records, `type\tid\tvalor` per record (as ``idSQL(_:)`` gives the tables').
    static func extratoIDSQL(_ month: StudioMonth) -> String {
        extratoSelects(month).map { _, fields, from in "SELECT \(fields[0]), \(fields[1]), coalesce(\(fields[3]), '') " + from }
            .joined(separator: " UNION ALL ")
    }
}
