@testable import API
import Foundation
import JobQueue
import Testing

/// The two catalogs and the templates agree: the same keys and placeholders in both languages,
/// every key a template reads exists, every template file is compiled in, values are escaped.
@Suite struct DashboardCatalogTests {
    static let templatesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources/API/Dashboard/Templates").standardizedFileURL

    @Test func bothCatalogsHaveTheSameKeysAndPlaceholders() {
        let portuguese = Catalog.portuguese.strings, english = Catalog.english.strings
        #expect(portuguese.count > 200, "the pt-BR catalog parses")
        #expect(Set(portuguese.keys) == Set(english.keys),
                "only in pt-BR: \(Set(portuguese.keys).subtracting(english.keys)); only in en: \(Set(english.keys).subtracting(portuguese.keys))")
        for (key, text) in portuguese {
            #expect(Catalog.placeholders(text) == Catalog.placeholders(english[key] ?? ""), "\(key): \(text) / \(english[key] ?? "")")
        }
    }

    @Test func placeholdersAreFilledInOnePass() {
        let catalog = Catalog(language: .english, strings: ["k": "paused by {who}: {reason}; {unknown}"])
        #expect(catalog("k", ["who": "{reason}", "reason": "disk"]) == "paused by {reason}: disk; {unknown}")
        #expect(catalog("missing") == "⟦missing⟧")
    }

    @Test func everyKeyATemplateReadsIsInTheCatalog() {
        for template in Template.allCases {
            let name = template.rawValue, source = String(decoding: template.source, as: UTF8.self)
            for match in source.matches(of: /\{\{t\.([a-z0-9_]+)\}\}/) {
                #expect(Catalog.portuguese.strings[String(match.1)] != nil, "\(name) reads t.\(match.1)")
            }
            #expect(!source.contains("{{{") && !source.contains("{{&"), "\(name) prints a value unescaped")
        }
    }

    @Test func everyTemplateFileIsCompiledIn() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.templatesDirectory.path)
            .filter { $0.hasSuffix(".mustache") }.map { String($0.dropLast(".mustache".count)) }
        #expect(Set(files) == Set(Template.allCases.map(\.rawValue)), "\(Self.templatesDirectory.path)")
    }

    /// Package.swift's `dashboardTemplates`, the resources compiled in, names the same
    /// templates as ``Template``, the list the code renders by.
    @Test func packageSwiftCompilesInExactlyTheTemplates() throws {
        let manifest = try String(contentsOf: Self.templatesDirectory.appendingPathComponent("../../../../Package.swift").standardizedFileURL,
                                  encoding: .utf8)
        let list = try #require(manifest.firstMatch(of: /let dashboardTemplates = \[([^\]]*)\]/)?.1, "Package.swift has dashboardTemplates")
        let names = list.matches(of: /"([a-z-]+)"/).map { String($0.1) }
        #expect(names.count == Set(names).count, "no name twice: \(names)")
        let code = Set(Template.allCases.map(\.rawValue))
        #expect(Set(names) == code, "only in Package.swift: \(Set(names).subtracting(code)); only in Template: \(code.subtracting(names))")
    }

    /// A page in one language shows none of the other's state names (the raw names are
    /// English; they stay in `data-state` only, which the HTTP tests check on the pages).
    @Test func stateLabelsAreTheirLanguages() {
        let raw = Set(JobState.allCases.map(\.rawValue))
        for state in JobState.allCases {
            let label = Catalog.portuguese["state_\(state.rawValue)"]
            #expect(!raw.contains(label) && !label.hasPrefix("⟦"), "pt-BR names \(state) '\(label)'")
            #expect(!Catalog.english["state_\(state.rawValue)"].hasPrefix("⟦"))
        }
    }

    @Test func valuesAreEscapedByTheTemplates() throws {
        let templates = try DashboardTemplates()
        let format = PageFormat(catalog: .english, zone: .gmt)
        let view = JobsPage.View(states: [], kind: "\"><script>alert(1)</script>", queue: "q", bulk: nil, rows: [
            JobsPage.Row(id: 1, kind: "<b>kind</b>", queue: "q&a", state: StateView(.discarded, format), attempt: "1/1", created: "x",
                         lastError: "<img src=x onerror=alert(1)>"),
        ], newer: nil, older: nil)
        let context = PageRenderer.Context(t: .english, frame: .init(title: "<t>", nav: nil, refresh: nil), view: view, csrf: nil, operator: false)
        let html = templates.render(context, .jobs)
        #expect(!html.contains("<script>") && !html.contains("<b>kind") && !html.contains("<img") && !html.contains("<t>"), "\(html)")
        #expect(html.contains("&lt;b&gt;kind&lt;/b&gt;") && html.contains("q&amp;a") && html.contains("&quot;&gt;&lt;script&gt;"))
        #expect(!html.contains("⟦"), "every key the page reads is in the catalog")
    }
}
