import BackOffice
import Foundation
import ObjectStorage

/// Seed 004's "multi-branch monitoring from a single bucket": every branch found under the
/// bucket's top-level prefixes, the age of its newest dump (`{branch}/backups/`) and its revenue
/// over the last days (`{branch}/metrics/{date}.json`, integer centavos).
struct BranchesPage {
    let store: any ObjectStore
    let zone: TimeZone

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
                if let time = object.lastModified ?? DumpName.time(of: object.key, in: zone), time > (branch.lastDump ?? .distantPast) {
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

    static func money(_ minor: Int64, currency: String) -> String { MoneyText.text(minor: minor, currency: currency) }

    func render() async throws -> String {
        let branches = try await branches()
        guard !branches.isEmpty else { return "<p>Nenhuma filial no bucket (\(HTML.escape(store.description))).</p>" }
        var html = "<p>Lido de \(HTML.escape(store.description)).</p><table><tr><th>filial</th><th>último dump</th><th>receita do último dia</th></tr>"
        for branch in branches {
            let hours = branch.lastDump.map { Date().timeIntervalSince($0) / 3600 }
            let status = hours.map { $0 <= 26 ? "green" : $0 <= 50 ? "amber" : "red" } ?? "red"
            let last = branch.days.last.map { "\(HTML.escape($0.date)): \(HTML.escape(Self.money($0.grossRevenue, currency: $0.currency)))" } ?? "—"
            html += "<tr data-branch=\"\(HTML.escape(branch.id))\"><td>\(HTML.escape(branch.id))</td>"
                + "<td class=\"\(status)\" data-status=\"\(status)\">\(HTML.when(branch.lastDump, in: zone))</td>"
                + "<td>\(last)</td></tr>"
        }
        html += "</table>"
        for branch in branches where !branch.days.isEmpty {
            html += SVGChart.bars(branch.days.map { .init(label: String($0.date.suffix(5)), segments: [(Double($0.grossRevenue) / 100, "#2e7d32")]) },
                                  title: "Receita de \(branch.id), últimos \(Self.days) dias", unit: branch.days.last?.currency ?? "")
        }
        return html
    }
}
