import Foundation
import Logging
import PostgresNIO

/// Reads closed months from `extratos`: what `nightshift extrato show` prints and the API serves.
public struct ExtratoStore: Sendable {
    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// One month's extrato, or nil when the month is not closed.
    public func summary(_ month: StudioMonth) async throws -> ExtratoSummary? {
        try await summaries(where: "WHERE ano = \(month.year) AND mes = \(month.month)").first
    }

    /// Every closed month, newest first.
    public func all(limit: Int = 120) async throws -> [ExtratoSummary] {
        try await summaries(where: "", limit: max(1, min(limit, 1_200)))
    }

    /// `condition` holds validated integers only.
    private func summaries(where condition: String, limit: Int = 1) async throws -> [ExtratoSummary] {
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT ano, mes, total_receita::text, total_comissoes::text, total_gastos::text, saldo::text,
                   (SELECT coalesce(jsonb_object_agg(key, value::text), '{}') FROM jsonb_each(receita_por_forma))::text,
                   contagens::text, created_at, updated_at, job_id
            FROM extratos \(condition)
            ORDER BY ano DESC, mes DESC
            LIMIT \(limit)
            """), logger: logger)
        var result: [ExtratoSummary] = []
        for try await row in rows {
            let (year, month, receita, comissoes, gastos, saldo, porForma, contagens, createdAt, updatedAt) =
                try row.decode((Int, Int, String, String, String, String, String, String, Date, Date).self)
            let jobID = try row.makeRandomAccess()[10].decode(Int64?.self)
            result.append(ExtratoSummary(
                month: (try? StudioMonth(year: year, month: month).label) ?? "\(year)-\(month)", year: year, monthNumber: month,
                totalReceita: receita, totalComissoes: comissoes, totalGastos: gastos, saldo: saldo,
                receitaPorForma: (try? JSONDecoder().decode([String: String].self, from: Data(porForma.utf8))) ?? [:],
                contagens: (try? JSONDecoder().decode([String: Int].self, from: Data(contagens.utf8))) ?? [:],
                createdAt: createdAt, updatedAt: updatedAt, jobID: jobID))
        }
        return result
    }
}
