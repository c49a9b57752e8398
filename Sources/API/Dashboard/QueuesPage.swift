import Foundation
import JobQueue

/// The Filas page: each queue's live jobs and those finished in the last 24 h, its pause
/// (with the button to pause or resume it), the day's finished jobs by hour and each kind's
/// durations.
struct QueuesPage {
    struct Header {
        var state: String
        var label: String
    }

    struct Pause {
        var text: String
        var resume: FormButton
    }

    struct Row {
        var name: String
        var counts: [Int]
        var oldest: String
        var pause: Pause?
        /// For an operator when the queue runs: where the pause form posts.
        var pauseAction: String?
    }

    struct Duration {
        var kind: String
        var runs: String
        var p50: String
        var p95: String
    }

    struct View {
        var headers: [Header]
        /// The counts' columns with the oldest job's and the pause's: the width of a queue's
        /// name line, which sits above its counts so a long name stays whole.
        var columns: Int
        var rows: [Row]
        var chart: SVGChart.View
        var durations: [Duration]
    }

    let dependencies: APIDependencies
    let format: PageFormat

    func content(_ session: DashboardSession) async throws -> DashboardPage<View> {
        // Live jobs, and those finished in the last 24 h: a whole-table count would read every
        // finished job kept (docs/benchmarks.md, "Dashboard pages with a million jobs"). The
        // page's four reads go at once, each on its own pooled connection.
        async let overview = dependencies.store.queueOverview()
        async let paused = dependencies.store.pausedQueues()
        async let finishedByHour = hourlyFinished()
        async let durationRows = durations()
        let t = format.catalog
        let stats = try await overview
        let pauses = Dictionary(uniqueKeysWithValues: try await paused.map { ($0.queue, $0) })
        let states = JobState.allCases
        let names = Array(Set(stats.map(\.queue)).union(pauses.keys)).sorted()
        let byName = Dictionary(uniqueKeysWithValues: stats.map { ($0.queue, $0) })
        let rows = names.map { name in
            let queue = byName[name]
            let path = "/ui/queues/\(name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? name)"
            let pause = pauses[name].map { pause in
                Pause(text: pause.reason.map { t("queues_paused_by_reason", ["who": pause.pausedBy, "reason": $0]) }
                          ?? t("queues_paused_by", ["who": pause.pausedBy]),
                      resume: FormButton(action: "\(path)/resume", label: t["queues_resume"]))
            }
            return Row(name: name, counts: states.map { queue?.counts[$0.rawValue] ?? 0 },
                       oldest: queue?.oldestAvailableAgeSeconds.map { format.decimal($0, digits: 1) + " s" } ?? "—",
                       pause: pause, pauseAction: pause == nil && session.identity.role >= .operator ? "\(path)/pause" : nil)
        }
        let headers = states.map { state in
            Header(state: state.rawValue, label: state.isFinished ? t("queues_state_24h", ["state": format.state(state)]) : format.state(state))
        }
        let view = View(headers: headers, columns: headers.count + 2, rows: rows,
                        chart: SVGChart.bars(try await finishedByHour, title: t["queues_hourly_chart"], unit: t["unit_jobs"], format: format),
                        durations: try await durationRows)
        return DashboardPage(template: .queues, title: t["queues_title"], view: view)
    }

    /// Jobs finished in each of the last 24 hours, by outcome, each labelled with its hour in
    /// the studio's zone.
    private func hourlyFinished() async throws -> [SVGChart.Bar] {
        try await dependencies.store.finishedByHour(hours: 24).map { hour in
            SVGChart.Bar(label: format.hour(hour.hour), segments: [(Double(hour.succeeded), "#2e7d32"), (Double(hour.discarded), "#c62828"),
                                                           (Double(hour.cancelled), "#9e9e9e")])
        }
    }

    /// Each kind's runs in the last 24 h with their p50 and p95 durations.
    private func durations() async throws -> [Duration] {
        try await dependencies.store.durationsByKind(within: .seconds(86_400)).map { kind in
            Duration(kind: kind.kind, runs: format.count(kind.runs), p50: format.decimal(kind.p50Seconds, digits: 3),
                     p95: format.decimal(kind.p95Seconds, digits: 3))
        }
    }
}
