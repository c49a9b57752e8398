import BackOffice
import Foundation
import ObjectStorage

/// Seed 004's "multi-branch monitoring from a single bucket": every branch found under the
/// bucket's top-level prefixes, the age of its newest dump (`{branch}/backups/`) and its revenue
/// over the last days (`{branch}/metrics/{date}.json`, integer centavos).
struct BranchesPage {
    let store: any ObjectStore
    let format: PageFormat

    struct Branch {
        var id: String
        var lastDump: Date?
        var days: [(date: String, grossRevenue: Int64, currency: String)] = []
    }

    static let days = 14

    func branches() async throws -> [Branch] {
        var byID: [String: Branch] = [:]
        var metrics: [String: [String]] = [:]
        for object in try await store.list(prefix: "") {
            let parts = object.key.split(separator: "/", maxSplits: 2).map(String.init)
            guard parts.count == 3 else { continue }
            var branch = byID[parts[0]] ?? Branch(id: parts[0])
            switch parts[1] {
            case "backups":
                if let time = object.lastModified ?? DumpName.time(of: object.key, in: format.zone), time > (branch.lastDump ?? .distantPast) {
                    branch.lastDump = time
                }
            case "metrics" where parts[2].hasSuffix(".json"):
                metrics[parts[0], default: []].append(object.key)
            default: break
            }
            byID[parts[0]] = branch
        }
        let decoder = JSONDecoder()
        for (id, keys) in metrics {
            for key in keys.sorted().suffix(Self.days) {
                guard let summary = try? decoder.decode(DailySummary.self, from: try await store.get(key)) else { continue }
                byID[id]?.days.append((summary.summaryDate, summary.grossRevenue, summary.currency))
            }
        }
        return byID.values.sorted { $0.id < $1.id }
    }

    struct Row {
        var id: String
        var status: String
        var lastDump: String
        var lastDay: String
    }

    struct View {
        var source: String
        var rows: NonEmpty<Row>?
        var charts: [SVGChart.View]
    }

    func content() async throws -> DashboardPage<View> {
        let t = format.catalog
        let branches = try await branches()
        let rows = branches.map { branch in
            let hours = branch.lastDump.map { format.now.timeIntervalSince($0) / 3600 }
            let status = hours.map { $0 <= 26 ? "green" : $0 <= 50 ? "amber" : "red" } ?? "red"
            let last = branch.days.last.map { "\($0.date): \(format.money(minor: $0.grossRevenue, currency: $0.currency))" } ?? "—"
            return Row(id: branch.id, status: status, lastDump: format.when(branch.lastDump), lastDay: last)
        }
        let charts = branches.filter { !$0.days.isEmpty }.map { branch in
            SVGChart.bars(branch.days.map { .init(label: String($0.date.suffix(5)), segments: [(Double($0.grossRevenue) / 100, "#2e7d32")]) },
                          title: t("branches_chart", ["branch": branch.id, "days": Self.days]), unit: branch.days.last?.currency ?? "", format: format)
        }
        return DashboardPage(template: .branches, title: t["branches_title"],
                           view: View(source: store.description, rows: NonEmpty(rows), charts: charts))
    }
}
