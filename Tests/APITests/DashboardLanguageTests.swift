@testable import API
import Foundation
import JobQueue
import NightshiftCore
import Testing
import TestSupport

/// Every page in each language over HTTP against the real server: the page says its language,
/// every string comes from that language's catalog (no `⟦key⟧`), and its text shows no state
/// name of the other language. The raw state names stay in attributes, where programs read them.
@Suite struct DashboardLanguageTests {
    /// The page's words as a person reads them, less what is data rather than the page's
    /// language: tags and attributes, `<pre>`/`<code>` (arguments, errors, commands), the
    /// cells marked `class="data"` (kinds, queues, last errors — the database is shared with
    /// the other suites, whose jobs and dumps fail in English) and error spans, and SVG.
    static func visibleText(_ html: String) -> String {
        var text = html
        for pattern in [#"<pre[^>]*>[\s\S]*?</pre>"#, #"<code[^>]*>[\s\S]*?</code>"#, #"<td class="data"[^>]*>[\s\S]*?</td>"#,
                        #"<span class="error"[^>]*>[\s\S]*?</span>"#, #"<svg[\s\S]*?</svg>"#, #"<style>[\s\S]*?</style>"#,
                        #"<title>[\s\S]*?</title>"#, #"<[^>]+>"#] {
            text = text.replacingOccurrences(of: pattern, with: " ", options: .regularExpression)
        }
        return text
    }

    @Test(arguments: DashboardLanguage.allCases)
    func everyPageSpeaksOneLanguage(_ language: DashboardLanguage) async throws {
        try await APIHarness.with(settings: { $0.dashboardLanguage = language }) { api in try await DashboardHTTP.with(port: api.port) { web in
            let queue = TestDatabase.uniqueQueue("ui-lang")
            var ids: [Int64] = []
            for state in JobState.allCases where state != .pending {
                ids.append(try await JobFactory.insert(api.client, queue: queue, state: state, attempt: state == .running ? 1 : 0,
                                                       lockedBy: state == .running ? "w/1" : nil))
            }
            let backup = try await BackupFactory.insert(api.client, branch: "lang-\(UUID().uuidString.prefix(6).lowercased())",
                                                        objectKey: nil, sha256: String(repeating: "cd", count: 32))
            try await BackupFactory.recordDrill(api.client, id: backup, tables: ["public.clientes": 3], differing: nil)
            let token = try await api.token(.operator, subject: "dona")
            let csrf = DashboardSession.csrf(for: token)
            var pages = ["/", "/ui/jobs", "/ui/jobs?state=discarded&queue=\(queue)", "/ui/queues", "/ui/schedules", "/ui/backups",
                         "/ui/backups/\(backup)", "/ui/backups/999999999", "/ui/extratos", "/ui/branches", "/ui/jobs/999999999"]
            pages += ids.map { "/ui/jobs/\($0)" }
            var answers: [(String, String)] = []
            for path in pages {
                let (status, _, html) = try await web.send(.GET, path, cookie: token)
                #expect(status == 200, "\(path)")
                answers.append((path, html))
            }
            let (signInStatus, _, signIn) = try await web.send(.GET, "/sign-in")
            #expect(signInStatus == 200)
            answers.append(("/sign-in", signIn))
            let (confirmStatus, _, confirm) = try await web.send(.POST, "/ui/jobs/bulk/retry?state=discarded&queue=\(queue)", cookie: token,
                                                                 form: "csrf=\(csrf)")
            #expect(confirmStatus == 200, "\(confirm)")
            answers.append(("bulk confirmation", confirm))
            let (forbiddenStatus, _, forbidden) = try await web.send(.POST, "/ui/jobs/\(ids[0])/retry", cookie: token, form: "csrf=forged")
            #expect(forbiddenStatus == 403)
            answers.append(("forbidden", forbidden))

            let other: [String] = switch language {
            case .portuguese: JobState.allCases.map(\.rawValue) + ["Safety net", "attempt", "Sign out", "ago", "Read at"]
            case .english: JobState.allCases.map { Catalog.portuguese["state_\($0.rawValue)"] }
                + ["Rede de segurança", "tentativa", "Sair", "há ", "Lida às", "Filas", "Agendas", "Voltar"]
            }
            let words = try Regex("\\b(" + other.map { NSRegularExpression.escapedPattern(for: $0) }.joined(separator: "|") + ")\\b")
            for (path, html) in answers {
                #expect(html.contains("<html lang=\"\(language.rawValue)\">"), "\(path)")
                #expect(!html.contains("⟦"), "\(path) reads a key its catalog lacks: \(html)")
                let text = Self.visibleText(html)
                #expect(text.firstMatch(of: words) == nil, "\(path) in \(language.rawValue) shows '\(text.firstMatch(of: words).map { String(text[$0.range]) } ?? "")': \(text.prefix(2_000))")
            }
        } }
    }
}
