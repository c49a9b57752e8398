import Foundation
import JobQueue
import NIOHTTP1
import Testing
import TestSupport

/// The Jobs page over plain HTTP against the real server: filters by state, kind and queue,
/// pages by id, and a bulk retry of the filtered set behind a confirmation page.
@Suite struct DashboardJobsTests {
    @Test func filtersPagesAndABulkRetryOfTheFilteredJobs() async throws {
        try await APIHarness.with { api in try await DashboardHTTP.with(port: api.port) { web in
            let queue = TestDatabase.uniqueQueue("ui-jobs")
            for _ in 0..<60 { try await JobFactory.insert(api.client, kind: "prune-cloud", queue: queue, state: .discarded) }
            let other = try await JobFactory.insert(api.client, kind: "push-metrics", queue: queue, state: .discarded)
            let token = try await api.token(.operator, subject: "dona")
            func send(_ method: HTTPMethod, _ path: String, form: String? = nil) async throws -> (Int, String, String?) {
                let (status, headers, body) = try await web.send(method, path, cookie: token, form: form)
                return (status, body, headers.first(name: "location"))
            }
            func ids(_ html: String) -> [Int64] {
                html.matches(of: /data-job="(\d+)"/).compactMap { Int64($0.1) }
            }
            // Page 1 of the filter: 50 of the 60, newest first, and a link to the next page.
            let (status, first, _) = try await send(.GET, "/ui/jobs?state=discarded&kind=prune-cloud&queue=\(queue)")
            #expect(status == 200)
            #expect(ids(first).count == 50 && ids(first) == ids(first).sorted(by: >) && !ids(first).contains(other), "\(ids(first))")
            let next = try #require(first.firstMatch(of: /href="([^"]+)" id="next-page"/).map { String($0.1) })
            let (_, second, _) = try await send(.GET, next.replacingOccurrences(of: "&amp;", with: "&"))
            #expect(ids(second).count == 10 && Set(ids(second)).isDisjoint(with: ids(first)), "the next page holds the other 10")

            // The bulk retry: a confirmation page with the count, then the action.
            let csrf = try #require(first.firstMatch(of: /name="csrf" value="([0-9a-f]{64})"/)?.1).description
            let path = "/ui/jobs/bulk/retry?state=discarded&kind=prune-cloud&queue=\(queue)"
            let (confirmStatus, confirm, _) = try await send(.POST, path, form: "csrf=\(csrf)")
            #expect(confirmStatus == 200 && confirm.contains("<strong>60</strong> job(s)"), "\(confirm)")
            #expect(try await api.client.scalar("SELECT count(*)::int FROM jobs WHERE queue = \(queue) AND state = 'available'", as: Int.self) == 0,
                    "nothing changes before the confirmation")
            let (done, _, location) = try await send(.POST, path, form: "csrf=\(csrf)&confirm=60")
            #expect(done == 303 && location?.hasPrefix("/ui/jobs") == true)
            #expect(try await api.client.scalar("SELECT count(*)::int FROM jobs WHERE queue = \(queue) AND state = 'available'", as: Int.self) == 60)
            #expect(try await JobStore(client: api.client, logger: TestDatabase.logger).job(other)?.state == .discarded, "only the filtered kind")
            // Without the form's CSRF token: refused.
            let (forged, _, _) = try await send(.POST, path, form: "confirm=60")
            #expect(forged == 403)
        } }
    }

    /// The Filas page's pause and resume buttons (operator, CSRF), and the home page's amber
    /// line that says who paused the queue, why, and how to resume it.
    @Test func aQueuePausedFromTheFilasPageShowsAmberOnTheHomePageUntilResumed() async throws {
        try await APIHarness.with { api in try await DashboardHTTP.with(port: api.port) { web in
            let queue = TestDatabase.uniqueQueue("ui-pause")
            try await JobFactory.insert(api.client, queue: queue)
            let store = JobStore(client: api.client, logger: TestDatabase.logger)
            func send(_ token: String, _ method: HTTPMethod, _ path: String, form: String? = nil) async throws -> (Int, String) {
                let (status, _, body) = try await web.send(method, path, cookie: token, form: form)
                return (status, body)
            }
            let viewer = try await api.token(.viewer, subject: "olhar")
            #expect(try await !send(viewer, .GET, "/ui/queues").1.contains("/ui/queues/\(queue)/pause"), "a viewer sees no button")

            let operatorToken = try await api.token(.operator, subject: "dona")
            let (_, page) = try await send(operatorToken, .GET, "/ui/queues")
            #expect(page.contains("action=\"/ui/queues/\(queue)/pause\""), "\(page)")
            let csrf = try #require(page.firstMatch(of: /name="csrf" value="([0-9a-f]{64})"/)?.1).description
            let (paused, _) = try await send(operatorToken, .POST, "/ui/queues/\(queue)/pause", form: "csrf=\(csrf)&reason=troca+de+disco")
            #expect(paused == 303)
            let pause = try #require(try await store.pausedQueues().first { $0.queue == queue })
            #expect(pause.pausedBy == "dona" && pause.reason == "troca de disco")
            let (_, home) = try await send(operatorToken, .GET, "/")
            let line = try #require(home.split(separator: "\n").first { $0.contains("Fila \(queue) pausada") }, "\(home)")
            #expect(line.contains("data-status=\"amber\"") && line.contains("dona") && line.contains("troca de disco")
                    && line.contains("nightshift queue resume \(queue)"), "\(line)")

            let (resumed, _) = try await send(operatorToken, .POST, "/ui/queues/\(queue)/resume", form: "csrf=\(csrf)")
            #expect(resumed == 303)
            #expect(try await store.pausedQueues().allSatisfy { $0.queue != queue })
            #expect(try await !send(operatorToken, .GET, "/").1.contains("Fila \(queue) pausada"))
        } }
    }
}
