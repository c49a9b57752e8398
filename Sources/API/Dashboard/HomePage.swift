import Foundation

/// The home page: the safety net's lines, worst first in the summary, each with its last
/// success and its remedy — a page of the dashboard as a link, a command as code to copy.
struct HomePage {
    struct LineView {
        var status: String
        var statusLabel: String
        var name: String
        var detail: String
        var net: String?
        var lastSuccess: String?
        /// The same instant for machines (`<time datetime>`), ISO 8601 in UTC.
        var lastSuccessISO: String?
        var todoLink: String?
        var todoCommand: String?
    }

    struct View {
        var summary: String
        var zoneNote: String
        var lines: [LineView]
    }

    let dependencies: APIDependencies
    let format: PageFormat

    func content() async throws -> DashboardPage<View> {
        let lines = try await SafetyNet.lines(dependencies: dependencies, format: format)
        let t = format.catalog
        let worst = lines.contains { $0.status == .red } ? "home_summary_red" : lines.contains { $0.status == .amber } ? "home_summary_amber" : "home_summary_green"
        let view = View(summary: t[worst], zoneNote: t("home_zone", ["zone": format.zone.identifier]), lines: lines.map { line in
            LineView(status: line.status.rawValue, statusLabel: t["home_status_\(line.status.rawValue)"], name: line.name, detail: line.detail,
                     net: line.net?.rawValue, lastSuccess: line.lastSuccess.map(format.when),
                     lastSuccessISO: line.lastSuccess.map { $0.formatted(.iso8601) },
                     todoLink: line.todo.flatMap { $0.hasPrefix("/ui/") ? $0 : nil },
                     todoCommand: line.todo.flatMap { $0.hasPrefix("/ui/") ? nil : $0 })
        })
        return DashboardPage(template: .home, title: t["home_title"], view: view)
    }
}
