import Foundation
import Database
import JobQueue
import Logging
import NightshiftCore
import PostgresNIO

/// Realistic demo records for past months: Portuguese names with accents, observations with
/// quotes, commas and line breaks, every payment method. Generated set-based in SQL, so a
/// million-row month takes seconds.
public struct DemoSeeder: Sendable {
    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Adds about `rowsPerMonth` records (a quarter each of sessions, payments, commissions
    /// and expenses) to each month, each month in one transaction, written `chunk` rows per
    /// table at a time with a `progress` report after each. Returns the records added per month.
    @discardableResult
    public func seed(months: [StudioMonth], rowsPerMonth: Int, chunk: Int = 50_000,
                     progress: any WorkProgressReporting = NoProgress()) async throws -> Int {
        try await Transaction.run(on: client, logger: logger) { connection in
            try await connection.query("""
                INSERT INTO clientes (name, email)
                SELECT (ARRAY['João da Conceição', 'Maria Antônia Gonçalves', 'José "Zé" Araújo', 'Ana Luísa Brandão',
                              'Lúcia Helena Simões', 'Sebastião Conceição', 'Flávia de Assunção', 'Íris Magalhães',
                              'Conceição Ribeiro, Jr.', 'Thaís Müller'])[1 + (i % 10)] || ' ' || i,
                       'cliente' || i || '@exemplo.com.br'
                FROM generate_series(1, 40) AS i
                WHERE (SELECT count(*) FROM clientes) < 40
                """, logger: logger)
            try await connection.query("""
                INSERT INTO artistas (name, comissao_percentual)
                SELECT name, pct FROM (VALUES ('Iara Gonçalves', 50.00), ('Tomás "Tomate" Ribeiro', 45.00),
                                              ('Célia Araújo', 55.00), ('Márcio Conceição', 40.00)) AS v(name, pct)
                WHERE (SELECT count(*) FROM artistas) < 4
                """, logger: logger)
        }
        let perType = max(1, rowsPerMonth / 4)
        let total = Int64(perType * 4 * months.count)
        var done: Int64 = 0
        let chunks = stride(from: 1, through: perType, by: chunk).map { ($0, min($0 + chunk - 1, perType)) }
        for month in months {
            let before = done
            try await Transaction.run(on: client, logger: logger) { connection in
                var done = before
                progress.report(WorkProgress(done: done, total: total, unit: .records, step: month.label))
                for (low, high) in chunks {
                    try await connection.query(Self.sessionsPaymentsAndCommissions(month, low, high), logger: logger)
                    done += Int64(high - low + 1) * 3
                    progress.report(WorkProgress(done: done, total: total, unit: .records, step: month.label))
                }
                try await connection.query(Self.linkSessionsToPayments(month), logger: logger)
                for (low, high) in chunks {
                    try await connection.query(Self.expenses(month, low, high), logger: logger)
                    done += Int64(high - low + 1)
                    progress.report(WorkProgress(done: done, total: total, unit: .records, step: month.label))
                }
            }
            done += Int64(perType * 4)
        }
        return perType * 4
    }

    /// Sessions `low…high` of a month, a payment for each and the payment's commission.
    static func sessionsPaymentsAndCommissions(_ month: StudioMonth, _ low: Int, _ high: Int) -> PostgresQuery {
        PostgresQuery(unsafeSQL: """
            WITH params AS (
                SELECT DATE '\(month.firstDay)' AS first,
                       (DATE '\(month.nextFirstDay)' - DATE '\(month.firstDay)') AS days,
                       (SELECT array_agg(id ORDER BY id) FROM clientes) AS clientes,
                       (SELECT array_agg(id ORDER BY id) FROM artistas) AS artistas
            ), s AS (
                INSERT INTO sessoes (data, valor, status, cliente_id, artista_id, observacoes)
                SELECT first + (i % days), (150 + (i * 37) % 1850)::numeric(12,2) + ((i % 100) / 100.0),
                       'completed', clientes[1 + i % cardinality(clientes)], artistas[1 + i % cardinality(artistas)],
                       (ARRAY['Fechamento, retoque incluso', 'Desenho "old school" no braço',
                              E'Primeira sessão\\nSegunda na próxima semana', NULL, 'Cliente pediu sombra; ok',
                              'Coração — ação de graças', 'Leão, "realista", 3h'])[1 + i % 7]
                FROM params, generate_series(\(low), \(high)) AS i
                RETURNING id, data, valor, cliente_id, artista_id
            ), p AS (
                INSERT INTO pagamentos (data, valor, forma_pagamento, cliente_id, artista_id, sessao_id, observacoes)
                SELECT s.data, s.valor,
                       (ARRAY['dinheiro', 'pix', 'cartao_credito', 'cartao_debito', 'transferencia', 'outros'])[1 + s.id % 6],
                       s.cliente_id, s.artista_id, s.id,
                       (ARRAY[NULL, 'Pago em 2x, sem juros', 'Sinal de R$ 50,00 já descontado', E'Recibo enviado\\npor e-mail'])[1 + s.id % 4]
                FROM s
                RETURNING id, data, valor, artista_id
            )
            INSERT INTO comissoes (data, valor, percentual, pagamento_id, artista_id, observacoes)
            SELECT p.data, round(p.valor * a.comissao_percentual / 100, 2), a.comissao_percentual, p.id, p.artista_id,
                   CASE WHEN p.id % 5 = 0 THEN 'Comissão "cheia", conferida' END
            FROM p JOIN artistas a ON a.id = p.artista_id
            """)
    }

    /// Marks the month's sessions paid by the payments made for them.
    static func linkSessionsToPayments(_ month: StudioMonth) -> PostgresQuery {
        PostgresQuery(unsafeSQL: """
            UPDATE sessoes s SET payment_id = p.id, status = 'paid'
            FROM pagamentos p
            WHERE p.sessao_id = s.id AND s.payment_id IS NULL
              AND \(MonthRecords.inMonth("s", month))
            """)
    }

    /// Expenses `low…high` of a month.
    static func expenses(_ month: StudioMonth, _ low: Int, _ high: Int) -> PostgresQuery {
        PostgresQuery(unsafeSQL: """
            INSERT INTO gastos (data, valor, descricao, categoria, forma_pagamento, observacoes)
            SELECT DATE '\(month.firstDay)' + (i % (DATE '\(month.nextFirstDay)' - DATE '\(month.firstDay)')),
                   (20 + (i * 53) % 900)::numeric(12,2) + ((i % 100) / 100.0),
                   (ARRAY['Agulhas e biqueiras', 'Tintas (preto, "true black")', 'Aluguel da sala', 'Energia elétrica',
                          'Filme PVC, luvas, papel-toalha'])[1 + i % 5],
                   (ARRAY['material', 'material', 'fixo', 'fixo', 'material'])[1 + i % 5],
                   (ARRAY['dinheiro', 'pix', 'cartao_credito', 'cartao_debito', 'transferencia', 'outros'])[1 + i % 6],
                   (ARRAY[NULL, 'Nota fiscal nº 123, série 1', E'Compra parcelada\\n3x'])[1 + i % 3]
            FROM generate_series(\(low), \(high)) AS i
            """)
    }
}
