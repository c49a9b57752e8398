import API
import BackOffice
import Foundation
import JobQueue
import Monitoring
import PostgresNIO
import Testing
import TestSupport

/// "When did each safety net last succeed" has one answer: the home page, the gauge
/// `nightshift_last_success_timestamp_seconds` and the alert query in ops/monitoring/alerts.sql
/// give the same instant for each net, on a database of their own (the month backup, the
/// extrato and the cloud prune are one per deployment, which other suites write to).
@Suite struct SafetyNetAgreementTests {
    /// Every net succeeded long enough ago that the alert query lists it, with distractors
    /// that must not count: a failed dump, a drill verified `false` after the good one, an
    /// unpushed summary, a failed extrato run and a discarded prune.
    @Test func theHomePageTheGaugeAndTheAlertSQLGiveTheSameLastSuccess() async throws {
        try await TestDatabase.withFreshDatabase { url in
            let branch = "agree-\(UUID().uuidString.prefix(6).lowercased())"
            try await APIHarness.with(backOffice: { $0.branch = BranchSettings(id: branch, timeZone: $0.timeZone) }, database: url) { api in
                let client = api.client
                let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
                let ago = { (days: Double) in now.addingTimeInterval(-days * 86_400) }
                let queue = TestDatabase.uniqueQueue("nets")
                _ = try await JobFactory.insert(client, kind: BackupMonthJob.kind, queue: queue, state: .succeeded, finishedAt: ago(40))
                _ = try await JobFactory.insert(client, kind: BackupMonthJob.kind, queue: queue, state: .discarded, finishedAt: ago(33))
                _ = try await JobFactory.insert(client, kind: PruneCloudJob.kind, queue: queue, state: .succeeded, finishedAt: ago(10))
                _ = try await JobFactory.insert(client, kind: PruneCloudJob.kind, queue: queue, state: .discarded, finishedAt: ago(9))
                try await client.query("""
                    INSERT INTO extrato_runs (mes, ano, status, run_at) VALUES (1, 2026, 'success', \(ago(35))), (2, 2026, 'failed', \(ago(34)))
                    """, logger: TestDatabase.logger)
                try await client.query("""
                    INSERT INTO backup_history (type, branch, status, started_at, finished_at, verification_status, verified_at) VALUES
                        ('daily', \(branch), 'expired', \(ago(3)), \(ago(3)), 'true', \(ago(9))),
                        ('daily', \(branch), 'completed', \(ago(2)), \(ago(2)), 'false', \(ago(1.5))),
                        ('daily', \(branch), 'failed', \(ago(1)), \(ago(1)), NULL, NULL)
                    """, logger: TestDatabase.logger)
                for (date, pushed) in [("2026-01-01", ago(2) as Date?), ("2026-01-02", nil)] {
                    try await client.query("""
                        INSERT INTO daily_summaries (branch, summary_date, generated_at, is_final, currency, source, session_count,
                            payment_count, commission_count, expense_count, gross_revenue, revenue_by_method, total_commissions,
                            total_expenses, net_profit, pushed_at)
                        VALUES (\(branch), \(date)::date, \(now), true, 'BRL', 'records', 0, 0, 0, 0, 0, '{}', 0, 0, 0, \(pushed))
                        """, logger: TestDatabase.logger)
                }
                let expected: [SafetyNetReadings.Net: Date] = [
                    .monthBackup: ago(40), .extrato: ago(35), .nightlyDump: ago(2), .restoreDrill: ago(9), .metricsPush: ago(2),
                    .cloudPrune: ago(10),
                ]

                let readings = try await SafetyNetReadings(store: JobStore(client: client, logger: TestDatabase.logger),
                                                           timeZone: TimeZone(identifier: "UTC")!).read()
                var fromReadings: [String: Int] = [:]
                for net in SafetyNetReadings.Net.allCases {
                    fromReadings[net.rawValue] = readings.lastSuccess(net, branch: branch).map { Int($0.timeIntervalSince1970) }
                }
                #expect(fromReadings == Dictionary(uniqueKeysWithValues: expected.map { ($0.key.rawValue, Int($0.value.timeIntervalSince1970)) }),
                        "the readings themselves, with the distractors left out")

                let registry = MetricsRegistry()
                try await StateGauges(client: client, registry: registry, studioTimeZone: TimeZone(identifier: "UTC")!, branch: branch,
                                      logger: TestDatabase.logger).refresh()
                let samples = try PrometheusText.parse(String(decoding: registry.exposition(), as: UTF8.self))[
                    "nightshift_last_success_timestamp_seconds"] ?? []
                var fromGauge: [String: Int] = [:]
                for sample in samples where ["", branch].contains(sample.labels["branch"] ?? "") {
                    fromGauge[sample.labels["what"] ?? "?"] = Int(sample.value)
                }

                var fromSQL: [String: Int] = [:]
                let alerts = try await client.query(PostgresQuery(unsafeSQL: try Self.silentNetQuery()), logger: TestDatabase.logger)
                for try await (_, what, rowBranch, at) in alerts.decode((String, String, String, Date).self) where ["", branch].contains(rowBranch) {
                    fromSQL[what] = Int(at.timeIntervalSince1970)
                }

                let home = try await DashboardHTTP.with(port: api.port) { http in
                    try await http.send(.GET, "/", cookie: try await api.token(.viewer)).2
                }
                let fromHome = Self.lastSuccesses(home)

                #expect(fromGauge == fromReadings, "gauge \(fromGauge) vs readings \(fromReadings)")
                #expect(fromSQL == fromReadings, "alerts.sql \(fromSQL) vs readings \(fromReadings)")
                #expect(fromHome == fromReadings, "home page \(fromHome) vs readings \(fromReadings)")
            }
        }
    }

    /// Query 8 of ops/monitoring/alerts.sql, "safety net silent", as the file has it.
    static func silentNetQuery() throws -> String {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ops/monitoring/alerts.sql")
        let text = try String(contentsOf: file, encoding: .utf8)
        let start = try #require(text.range(of: "WITH last_success"), "alerts.sql has the safety-net query")
        let end = try #require(text.range(of: ";", range: start.upperBound..<text.endIndex))
        return String(text[start.lowerBound..<end.lowerBound])
    }

    /// `data-net` → the `<time datetime>` of its line, in epoch seconds.
    static func lastSuccesses(_ html: String) -> [String: Int] {
        var result: [String: Int] = [:]
        for line in html.components(separatedBy: "<li ").dropFirst() {
            guard let net = line.firstMatch(of: /data-net="([a-z_]+)"/)?.1,
                  let iso = line.firstMatch(of: /<time datetime="([^"]+)"/)?.1,
                  let date = try? Date(String(iso), strategy: .iso8601) else { continue }
            result[String(net)] = Int(date.timeIntervalSince1970)
        }
        return result
    }
}
