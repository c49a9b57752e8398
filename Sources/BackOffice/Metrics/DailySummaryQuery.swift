import Foundation
import Logging
import PostgresNIO

/// Computes a day's figures in SQL, from the studio's records and, for a month already closed,
/// from its extrato's snapshot (the close deleted the records). Amounts in centavos, exact.
enum DailySummaryQuery {
    struct Figures: Sendable, Equatable {
        var closed: Bool
        var sessions = 0, payments = 0, commissions = 0, expenses = 0
        var revenue: Int64 = 0, commissionTotal: Int64 = 0, expenseTotal: Int64 = 0
        var byMethod: [String: Int64] = [:]
    }

    static func figures(for day: String, client: PostgresClient, logger: Logger) async throws -> Figures {
        let rows = try await client.query("""
            WITH day AS (SELECT \(day)::date AS d),
            closed AS (
                SELECT e.* FROM extratos e, day WHERE e.ano = extract(year FROM d) AND e.mes = extract(month FROM d)
            ),
            pay AS (
                SELECT valor, forma_pagamento FROM pagamentos, day WHERE data = d
                UNION ALL
                SELECT (p->>'valor')::numeric, p->>'forma_pagamento'
                FROM closed, day, jsonb_array_elements(closed.pagamentos) p WHERE (p->>'data')::date = d
            ),
            ses AS (
                SELECT 1 FROM sessoes, day WHERE data = d
                UNION ALL
                SELECT 1 FROM closed, day, jsonb_array_elements(closed.sessoes) s WHERE (s->>'data')::date = d
            ),
            com AS (
                SELECT valor FROM comissoes, day WHERE data = d
                UNION ALL
                SELECT (c->>'valor')::numeric FROM closed, day, jsonb_array_elements(closed.comissoes) c WHERE (c->>'data')::date = d
            ),
            gas AS (
                SELECT valor FROM gastos, day WHERE data = d
                UNION ALL
                SELECT (g->>'valor')::numeric FROM closed, day, jsonb_array_elements(closed.gastos) g WHERE (g->>'data')::date = d
            )
            SELECT EXISTS (SELECT 1 FROM closed),
                   (SELECT count(*) FROM ses)::int, (SELECT count(*) FROM pay)::int,
                   (SELECT count(*) FROM com)::int, (SELECT count(*) FROM gas)::int,
                   (SELECT coalesce(sum(valor), 0) * 100 FROM pay)::bigint,
                   (SELECT coalesce(sum(valor), 0) * 100 FROM com)::bigint,
                   (SELECT coalesce(sum(valor), 0) * 100 FROM gas)::bigint,
                   (SELECT coalesce(jsonb_object_agg(forma_pagamento, total), '{}')::text
                    FROM (SELECT forma_pagamento, (sum(valor) * 100)::bigint AS total FROM pay GROUP BY forma_pagamento) f)
            """, logger: logger)
        for try await row in rows {
            let (closed, sessions, payments, commissions, expenses, revenue, commissionTotal, expenseTotal, methods) =
                try row.decode((Bool, Int, Int, Int, Int, Int64, Int64, Int64, String).self)
            var figures = Figures(closed: closed, sessions: sessions, payments: payments, commissions: commissions,
                                  expenses: expenses, revenue: revenue, commissionTotal: commissionTotal, expenseTotal: expenseTotal)
            figures.byMethod = (try? JSONDecoder().decode([String: Int64].self, from: Data(methods.utf8))) ?? [:]
            return figures
        }
        return Figures(closed: false)
    }
}
