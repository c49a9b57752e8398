import Foundation
import Database
import JobQueue
import Logging
import PostgresNIO

/// The `extrato_runs` table: one row per attempt to close a month.
public enum ExtratoRunLog {
    static func insert(_ month: StudioMonth, status: String, moved: [String: Int], durationMilliseconds: Int,
                       error: String?, message: String?, forced: Bool, jobID: Int64?,
                       on runner: any QueryRunner, logger: Logger) async throws {
        try await runner.run("""
            INSERT INTO extrato_runs (mes, ano, status, pagamentos_moved, sessoes_moved, comissoes_moved, gastos_moved,
                                      duration_ms, error, message, forced, job_id)
            VALUES (\(month.month), \(month.year), \(status), \(moved["pagamento"] ?? 0), \(moved["sessao"] ?? 0),
                    \(moved["comissao"] ?? 0), \(moved["gasto"] ?? 0), \(durationMilliseconds), \(error), \(message),
                    \(forced), \(jobID))
            """, logger: logger)
    }
}
