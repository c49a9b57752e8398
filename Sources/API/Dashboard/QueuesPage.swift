import Foundation
import JobQueue
import PostgresNIO

/// The Filas page: each queue's live jobs and those finished in the last 24 h, its pause
/// (with the button to pause or resume it), the day's finished jobs by hour and each kind's
/// durations.
struct QueuesPage {
    let dependencies: APIDependencies
    let zone: TimeZone

    func render(_ session: DashboardSession) async throws -> (String, String) {
        // Live jobs, and those finished in the last 24 h: a whole-table count would read every
        // finished job kept (docs/benchmarks.md, "Dashboard pages with a million jobs"). The
        // page's four reads go at once, each on its own pooled connection.
        async let overview = dependencies.store.queueOverview()
        async let paused = dependencies.store.pausedQueues()
        async let finishedByHour = hourlyFinished()
        async let durationRows = durations()
        let stats = try await overview
        let pauses = Dictionary(uniqueKeysWithValues: try await paused.map { ($0.queue, $0) })
        let states = JobState.allCases
        let names = Array(Set(stats.map(\.queue)).union(pauses.keys)).sorted()
        let byName = Dictionary(uniqueKeysWithValues: stats.map { ($0.queue, $0) })
        let rows = names.map { name in
            let queue = byName[name]
            let pause = pauses[name]
            let path = "/ui/queues/\(name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? name)"
            let control: String
            if let pause {
                control = "<span class=\"paused\" data-paused=\"\(HTML.escape(name))\">pausada por \(HTML.escape(pause.pausedBy))"
                    + "\(pause.reason.map { ": \(HTML.escape($0))" } ?? "")</span> " + HTML.button(session, "\(path)/resume", "Retomar")
            } else if session.identity.role >= .operator {
                control = "<form method=\"post\" action=\"\(path)/pause\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"\(session.csrf)\">"
                    + "<input name=\"reason\" placeholder=\"motivo\" maxlength=\"500\" size=\"12\"> <button>Pausar</button></form>"
            } else {
                control = "ativa"
            }
            return "<tr><td>\(HTML.escape(name))</td>" + states.map { "<td>\(queue?.counts[$0.rawValue] ?? 0)</td>" }.joined()
                + "<td>\(queue?.oldestAvailableAgeSeconds.map { String(format: "%.1f s", $0) } ?? "—")</td><td>\(control)</td></tr>"
        }.joined()
        let hours = try await finishedByHour
        let durations = try await durationRows
        return ("Filas", """
            <div class="scroll"><table><tr><th>fila</th>\(states.map { "<th data-state=\"\($0.rawValue)\">\(StateLabel.text($0))\($0.isFinished ? " (24 h)" : "")</th>" }.joined())<th>mais antigo disponível</th><th>pausa</th></tr>\(rows)</table></div>
            <h2>Jobs por hora (24 h): sucesso, descartados, cancelados</h2>
            \(SVGChart.bars(hours, title: "Jobs terminados por hora", unit: "jobs"))
            <h2>Duração por tipo (24 h, segundos)</h2>
            <table><tr><th>tipo</th><th>execuções</th><th>p50</th><th>p95</th></tr>\(durations)</table>
            """)
    }

    /// Jobs finished in each of the last 24 hours, by outcome: one range scan of the day's
    /// finished jobs (the BRIN index on `finished_at`), not one per hour.
    private func hourlyFinished() async throws -> [SVGChart.Bar] {
        var hours: [SVGChart.Bar] = []
        for try await (hour, succeeded, failed, cancelled) in try await dependencies.store.client.query("""
            SELECT to_char(h AT TIME ZONE \(zone.identifier), 'HH24"h"'),
                   coalesce(c.succeeded, 0), coalesce(c.discarded, 0), coalesce(c.cancelled, 0)
            FROM generate_series(date_trunc('hour', now()) - interval '23 hours', date_trunc('hour', now()), interval '1 hour') AS h
            LEFT JOIN (
                SELECT date_trunc('hour', finished_at) AS hour,
                       count(*) FILTER (WHERE state = 'succeeded')::float8 AS succeeded,
                       count(*) FILTER (WHERE state = 'discarded')::float8 AS discarded,
                       count(*) FILTER (WHERE state = 'cancelled')::float8 AS cancelled
                FROM jobs WHERE finished_at >= date_trunc('hour', now()) - interval '23 hours'
                GROUP BY 1
            ) AS c ON c.hour = h
            ORDER BY h
            """, logger: dependencies.logger).decode((String, Double, Double, Double).self) {
            hours.append(.init(label: hour, segments: [(succeeded, "#2e7d32"), (failed, "#c62828"), (cancelled, "#9e9e9e")]))
        }
        return hours
    }

    /// Each kind's runs in the last 24 h with their p50 and p95 durations, as table rows.
    private func durations() async throws -> String {
        var rows = ""
        for try await (kind, runs, p50, p95) in try await dependencies.store.client.query("""
            SELECT kind, count(*)::int,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - attempted_at))::float8,
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - attempted_at))::float8
            FROM jobs WHERE state = 'succeeded' AND finished_at > now() - interval '24 hours' AND attempted_at IS NOT NULL
            GROUP BY kind ORDER BY kind
            """, logger: dependencies.logger).decode((String, Int, Double, Double).self) {
            rows += "<tr><td>\(HTML.escape(kind))</td><td>\(runs)</td><td>\(String(format: "%.3f", p50))</td><td>\(String(format: "%.3f", p95))</td></tr>"
        }
        return rows
    }
}
