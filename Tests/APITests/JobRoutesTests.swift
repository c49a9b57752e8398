import API
import Foundation
import JobQueue
import PostgresNIO
import Testing
import TestSupport

/// /api/jobs: enqueue checked with the kind's own type, list, page, show, retry, cancel.
@Suite struct JobRoutesTests {
    @Test func enqueueInsertsOnceAndRefusesBadInputNamingTheField() async throws {
        try await APIHarness.with { api in
            let token = try await api.token(.operator)
            let queue = TestDatabase.uniqueQueue("api")
            let key = "api-\(UUID().uuidString)"
            let first = try await api.request(.POST, "/api/jobs", token: token,
                                              json: #"{"kind": "backup-month", "args": {"year": 2026, "month": 10}, "queue": "\#(queue)", "unique_key": "\#(key)"}"#)
            #expect(first.status == 201, "\(first.text)")
            let job = try #require(first.json["job"] as? [String: Any])
            #expect(job["kind"] as? String == "backup-month" && job["state"] as? String == "available" && job["max_attempts"] as? Int == 10)
            #expect((job["args"] as? [String: Any])?["month"] as? Int == 10, "args come back as JSON")
            let again = try await api.request(.POST, "/api/jobs", token: token,
                                              json: #"{"kind": "backup-month", "args": {"year": 2026, "month": 10}, "queue": "\#(queue)", "unique_key": "\#(key)"}"#)
            #expect(again.status == 200 && again.json["inserted"] as? Bool == false)
            #expect((again.json["job"] as? [String: Any])?["id"] as? Int == job["id"] as? Int)

            let refusals: [(String, String?, String?)] = [
                (#"{"kind": "no-such-kind"}"#, "kind", "unknown job kind"),
                (#"{"kind": "backup-month", "args": {"year": 2026, "month": 13}}"#, "args.month", "month 13 is out of range"),
                (#"{"kind": "backup-month", "args": {"year": 2026}}"#, "args.month", "missing field"),
                // A field the kind does not have, named with those it has (optional ones too).
                (#"{"kind": "backup-month", "args": {"yaer": 2026, "month": 10}}"#, "args.yaer", "backup-month takes year, month, force"),
                (#"{"kind": "noop", "depends_on": [0]}"#, "depends_on[0]", nil),
                (#"{"kind": "noop", "depends_on": [9000000000000]}"#, "depends_on", "does not exist"),
                (#"{"kind": "noop", "depends_on": [1], "on_dependency_failure": "maybe"}"#, "on_dependency_failure", nil),
                (#"{"kind": "backup-month", "args": [1, 2]}"#, "args", nil),
                (#"{"kind": "noop", "priority": 99999}"#, "priority", nil),
                (#"{"kind": "noop", "max_attempts": 0}"#, "max_attempts", nil),
                (#"{"kind": "noop", "run_at": "2030-01-01T00:00:00Z", "in": "10m"}"#, "in", nil),
                (#"{"kind": "noop", "in": "soon"}"#, "in", nil),
                (#"{"args": {}}"#, "kind", nil),
                (#"{"kind": 42}"#, "kind", nil),
                ("{not json", nil, nil),
            ]
            for (body, field, words) in refusals {
                let reply = try await api.request(.POST, "/api/jobs", token: token, json: body)
                #expect(reply.status == 400, "\(body): \(reply.status) \(reply.text)")
                #expect(reply.json["error"] as? String == "invalid_input", "\(body)")
                #expect(reply.json["field"] as? String == field, "\(body): \(reply.text)")
                if let words { #expect((reply.json["message"] as? String)?.contains(words) == true, "\(body): \(reply.text)") }
            }
            let wrongType = try await api.request(.POST, "/api/jobs", token: token, json: #"{"kind": "noop"}"#, contentType: "text/plain")
            #expect(wrongType.status == 415 && wrongType.json["error"] as? String == "unsupported_media_type")
            let huge = try await api.request(.POST, "/api/jobs", token: token,
                                             body: Data((#"{"kind": "noop", "args": {"x": ""# + String(repeating: "a", count: 100_000) + #""}}"#).utf8))
            #expect(huge.status == 413 && huge.json["error"] as? String == "body_too_large", "\(huge.status) \(huge.text)")
            #expect(try await api.client.scalar("SELECT count(*)::int FROM jobs WHERE queue = \(queue)", as: Int.self) == 1, "nothing else written")
        }
    }

    /// What schemathesis found: NUL characters reached PostgreSQL (a 500), an undeclared method
    /// was a 404, `lastJobIDs` was written `last_job_i_ds`, an old run_at broke the queue view.
    @Test func nulCharactersUndeclaredMethodsAndKeyNamesAreHandled() async throws {
        try await APIHarness.with { api in
            let token = try await api.token(.operator)
            let nulArgs = try await api.request(.POST, "/api/jobs", token: token, json: #"{"kind": "noop", "args": {"k\u0000": 1}}"#)
            #expect(nulArgs.status == 400 && nulArgs.json["field"] as? String == "args", "\(nulArgs.text)")
            let nulKind = try await api.request(.POST, "/api/jobs", token: token, json: #"{"kind": "no\u0000op"}"#)
            #expect(nulKind.status == 400 && nulKind.json["field"] as? String == "kind", "\(nulKind.text)")
            let nulQuery = try await api.request(.GET, "/api/jobs?kind=a%00b", token: token)
            #expect(nulQuery.status == 400 && nulQuery.json["field"] as? String == "kind", "\(nulQuery.text)")
            let trace = try await api.request(.DELETE, "/api/jobs/5", token: token)
            #expect(trace.status == 405 && trace.headers.first(name: "allow") == "GET", "\(trace.status) \(trace.text)")
            let schedules = try await api.request(.GET, "/api/schedules", token: token)
            #expect(schedules.array.allSatisfy { $0["last_job_ids"] is [Any] }, "\(schedules.text.prefix(300))")
            // Its second run: a job due in 1950 overflowed the queue view's age (numeric(12, 3)).
            let queue = TestDatabase.uniqueQueue("old")
            let old = try await api.request(.POST, "/api/jobs", token: token,
                                            json: #"{"kind": "noop", "queue": "\#(queue)", "run_at": "1950-01-01T00:00:00Z"}"#)
            #expect(old.status == 201, "\(old.text)")
            let queues = try await api.request(.GET, "/api/queues", token: token)
            #expect(queues.status == 200, "\(queues.text.prefix(300))")
            let age = queues.array.first { $0["queue"] as? String == queue }?["oldest_available_age_seconds"] as? Double
            #expect((age ?? 0) > 70 * 365 * 86_400, "\(queues.text.prefix(300))")
        }
    }

    @Test func listingFiltersAndPagesNewestFirst() async throws {
        try await APIHarness.with { api in
            let token = try await api.token(.viewer)
            let queue = TestDatabase.uniqueQueue("page")
            let store = JobStore(client: api.client, logger: TestDatabase.logger)
            let ids = try await store.enqueueBatch((0..<7).map { _ in NewJob(kind: "noop", queue: queue) })
            let discarded = try await JobFactory.insert(api.client, queue: queue, state: .discarded)
            var seen: [Int] = []
            var cursor: String?
            repeat {
                let reply = try await api.request(.GET, "/api/jobs?queue=\(queue)&limit=3" + (cursor.map { "&cursor=\($0)" } ?? ""), token: token)
                #expect(reply.status == 200, "\(reply.text)")
                seen += (reply.json["jobs"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
                cursor = reply.json["next_cursor"] as? String
            } while cursor != nil
            #expect(seen == ([discarded] + ids).map(Int.init).sorted(by: >), "every job once, newest first, across pages")
            let only = try await api.request(.GET, "/api/jobs?queue=\(queue)&state=discarded", token: token)
            #expect((only.json["jobs"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [Int(discarded)])
            let badState = try await api.request(.GET, "/api/jobs?state=finished", token: token)
            #expect(badState.status == 400 && badState.json["field"] as? String == "state")
            let badLimit = try await api.request(.GET, "/api/jobs?limit=0", token: token)
            #expect(badLimit.status == 400 && badLimit.json["field"] as? String == "limit")
            let badTime = try await api.request(.GET, "/api/jobs?created_after=yesterday", token: token)
            #expect(badTime.status == 400 && badTime.json["field"] as? String == "created_after")
            let future = try await api.request(.GET, "/api/jobs?queue=\(queue)&created_after=2100-01-01T00:00:00Z", token: token)
            #expect((future.json["jobs"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func aJobShowsItsAttemptsAndCanBeRetriedAndCancelled() async throws {
        try await APIHarness.with { api in
            let operatorToken = try await api.token(.operator)
            let queue = TestDatabase.uniqueQueue("retry")
            let store = JobStore(client: api.client, logger: TestDatabase.logger)
            let failing = try await store.enqueue(try NewJob(TestKinds.FailJob.self, args: .init(failTimes: 9), queue: queue, maxAttempts: 2))
            let harness = try WorkerHarness(client: api.client, configuration: WorkerHarness.configuration(queue: queue))
            try await eventually("discarded") { try await store.job(failing.id)?.state == .discarded }
            try await harness.stop()
            let shown = try await api.request(.GET, "/api/jobs/\(failing.id)", token: operatorToken)
            #expect(shown.status == 200 && shown.json["state"] as? String == "discarded")
            #expect((shown.json["errors"] as? [[String: Any]])?.map { $0["attempt"] as? Int } == [1, 2])
            let retried = try await api.request(.POST, "/api/jobs/\(failing.id)/retry", token: operatorToken, json: #"{"attempts": 3}"#)
            #expect(retried.status == 200 && retried.json["state"] as? String == "available" && retried.json["max_attempts"] as? Int == 5)
            #expect(try await api.request(.POST, "/api/jobs/\(failing.id)/retry", token: operatorToken).status == 409, "not discarded any more")
            let cancelled = try await api.request(.POST, "/api/jobs/\(failing.id)/cancel", token: operatorToken)
            #expect(cancelled.status == 200 && cancelled.json["state"] as? String == "cancelled")
            #expect(try await api.request(.POST, "/api/jobs/\(failing.id)/cancel", token: operatorToken).status == 409)
            #expect(try await api.request(.GET, "/api/jobs/999999999", token: operatorToken).status == 404)
            #expect(try await api.request(.GET, "/api/jobs/abc", token: operatorToken).json["field"] as? String == "id")
            #expect(try await api.request(.GET, "/api/nowhere", token: operatorToken).status == 404)
        }
    }
}
