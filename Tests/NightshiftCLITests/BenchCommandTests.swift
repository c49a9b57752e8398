import Bench
import Foundation
import PostgresNIO
import Testing
import TestSupport

/// `nightshift bench`, CI-sized, in a database of its own: every step runs (real worker
/// processes, pgbench on `jobs` and on the minimal table), and nothing of it is left behind.
@Suite struct BenchCommandTests {
    @Test func aSmallBenchRunsEveryStepOnBothTablesAndLeavesNothingBehind() async throws {
        try await TestDatabase.withFreshDatabase { url in
            let environment = ["DATABASE_URL": url.connectionString, "LOG_LEVEL": "warning"]
            let migrate = try ChildProcess(["migrate"], environment: environment)
            #expect(try await migrate.waitForExit(timeout: .seconds(60)) == 0, "\(migrate.log)")
            let bench = try ChildProcess([
                "bench", "--jobs", "2000", "--rounds", "2", "--single-jobs", "40", "--enqueuers", "2", "--latency-jobs", "20",
                "--latency-rate", "100", "--history", "3000", "--pgbench-clients", "2", "--workers", "1", "--concurrency", "20",
            ], environment: environment)
            let status = try await bench.waitForExit(timeout: .seconds(300))
            let log = bench.log
            #expect(status == 0, "\(log)")
            for line in ["history: 3000 finished", "raw SQL limit, jobs table", "raw SQL limit, minimal table",
                         "tuned / minimal-table limit", "jobs-table / minimal-table limit", "workers' CPU"] {
                #expect(log.contains(line), "no '\(line)' in:\n\(log)")
            }
            try await TestDatabase.withClient(url: url, migrate: false) { client in
                let left = try await client.scalar("""
                    SELECT (SELECT count(*) FROM jobs WHERE queue LIKE 'bench-%')::int
                         + (to_regclass('\(unescaped: BenchRun.minimalTable)') IS NOT NULL)::int
                    """, as: Int.self)
                #expect(left == 0, "bench rows or the minimal table were left behind")
            }
        }
    }

    /// The minimal table is `jobs`'s columns with only the primary key and the claim index.
    @Test func theMinimalTableIsMadeFromJobsWithOnlyItsKeyAndTheClaimIndex() {
        let sql = BenchRun.minimalTableSQL
        #expect(sql.contains("CREATE TABLE \(BenchRun.minimalTable) (LIKE jobs INCLUDING DEFAULTS INCLUDING IDENTITY)"))
        #expect(sql.contains("ADD PRIMARY KEY (id)") && sql.contains("WHERE state = 'available'") && !sql.contains("{table}"))
    }
}
