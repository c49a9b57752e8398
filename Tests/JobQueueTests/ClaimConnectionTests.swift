@testable import Database
import Foundation
@testable import JobQueue
import PostgresNIO
import Testing
import TestSupport

/// The worker's libpq claim connection: parameters as array literals, reconnecting, generic
/// plans that read only the rows they touch.
@Suite struct ClaimConnectionTests {
    @Test func arrayLiteralsQuoteEveryElement() {
        #expect(ArrayLiteral.integers([Int64]()) == "{}")
        #expect(ArrayLiteral.integers([1, -2, 30] as [Int64]) == "{1,-2,30}")
        #expect(ArrayLiteral.text(["default"]) == #"{"default"}"#)
        #expect(ArrayLiteral.text([#"a,b"#, #"q"uote"#, #"back\slash"#, "{x} y", ""])
            == #"{"a,b","q\"uote","back\\slash","{x} y",""}"#)
    }

    @Test func textConstantsReadBackAsTheSameArray() async throws {
        #expect(ArrayLiteral.textConstant([]) == "'{}'::text[]")
        #expect(ArrayLiteral.textConstant(["it's-limited", "plain"]) == "ARRAY['it''s-limited', 'plain']::text[]")
        let values = ["it's-limited", #"back\slash"#, #"q"uote"#, "{a,b}", ""]
        let session = LibPQSession(url: TestDatabase.url, applicationName: "nightshift-test constants")
        defer { session.close() }
        for conforming in ["on", "off"] {
            let equal = try await session.run { connection in
                _ = try connection.execute("SET standard_conforming_strings = \(conforming)")
                let rows = try connection.execute(prepared: "constant_\(conforming)",
                                                  "SELECT \(ArrayLiteral.textConstant(values)) = $1::text[]",
                                                  [ArrayLiteral.text(values)])
                return rows.bool(0, 0)
            }
            #expect(equal, "the constant reads back as the array with standard_conforming_strings \(conforming)")
        }
    }

    @Test func sessionSettingsAreSentAtConnectAndHoldForThatSessionOnly() async throws {
        let parameters = LibPQParameters(TestDatabase.url, applicationName: "t", settings: ClaimConnection.sessionSettings)
        #expect(parameters.connectionString.contains(
            "options='-c plan_cache_mode=force_generic_plan -c enable_seqscan=off -c enable_bitmapscan=off -c lock_timeout=50ms'"))
        let tuned = LibPQSession(url: TestDatabase.url, applicationName: "nightshift-test tuned", settings: ClaimConnection.sessionSettings)
        let plain = LibPQSession(url: TestDatabase.url, applicationName: "nightshift-test plain")
        defer { tuned.close(); plain.close() }
        let show = """
            SELECT concat_ws(' ', current_setting('plan_cache_mode'), current_setting('enable_seqscan'),
                             current_setting('enable_bitmapscan'), current_setting('lock_timeout'))
            """
        #expect(try await tuned.run { try $0.execute(show).string(0, 0) } == "force_generic_plan off off 50ms")
        #expect(try await plain.run { try $0.execute(show).string(0, 0) } == "auto on on 0")
    }

    @Test func aServerThatRefusesASettingGivesASessionWithoutTheSettingsAndOtherFailuresStayAsTheyAre() async throws {
        let unknown = [("nightshift_no_such_setting", "on")]
        let refusal = #expect(throws: LibPQError.self, "PostgreSQL turns an unknown setting away") {
            _ = try LibPQConnection(url: TestDatabase.url, applicationName: "nightshift-test refused", settings: unknown)
        }
        #expect(refusal.map { LibPQSession.refusesStartupSettings($0.description) } == true, "\(String(describing: refusal))")
        let session = LibPQSession(url: TestDatabase.url, applicationName: "nightshift-test refused", settings: unknown)
        defer { session.close() }
        #expect(try await session.run { try $0.execute("SELECT 41 + 1").int(0, 0) } == 42)
        var missing = TestDatabase.url
        missing.database = "nightshift_no_such_database"
        let failing = LibPQSession(url: missing, applicationName: "nightshift-test missing", settings: ClaimConnection.sessionSettings)
        defer { failing.close() }
        let failure = await #expect(throws: LibPQError.self) { try await failing.run { _ in true } }
        #expect(failure?.description.contains("nightshift_no_such_database") == true, "the error is the server's: \(String(describing: failure))")
        #expect(!LibPQSession.refusesStartupSettings(failure?.description ?? ""))
    }

    /// PgBouncer refuses startup parameters it does not know (`options`); the claim connection
    /// then connects without its settings and claims and completes as it did before them.
    @Test func behindAPoolerThatRefusesStartupSettingsTheClaimConnectionConnectsWithoutThem() async throws {
        let text = try #require(ProcessInfo.processInfo.environment["NIGHTSHIFT_TEST_PGBOUNCER_URL"],
                                "NIGHTSHIFT_TEST_PGBOUNCER_URL (a PgBouncer in front of the test database) is set by ops/test.sh")
        var url = try DatabaseURL(parsing: text)
        url.database = TestDatabase.url.database
        let pooled = url
        let queue = TestDatabase.uniqueQueue("pooled")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let ids = try await store.enqueueBatch((0..<3).map { _ in NewJob(kind: "noop", queue: queue) })
            let refusal = #expect(throws: LibPQError.self, "the pooler turns the settings away") {
                _ = try LibPQConnection(url: pooled, applicationName: "nightshift-test pooled", settings: ClaimConnection.sessionSettings)
            }
            #expect(refusal?.description.contains("unsupported startup parameter") == true, "\(String(describing: refusal))")
            let connection = ClaimConnection(url: pooled, workerID: "pooled/1", maxBatch: 50)
            defer { connection.close() }
            let claimed = try await connection.claim([WorkerQueue(queue, limit: 10)], limit: 10, worker: "pooled/1", completing: [])
            #expect(claimed.jobs.map(\.id) == ids)
            let fenced = try await connection.markSucceeded(claimed.jobs.map { AttemptRef(id: $0.id, attempt: $0.attempt) })
            #expect(fenced.isEmpty)
            for id in ids { #expect(try await store.job(id)?.state == .succeeded) }
        }
    }

    @Test func aClaimTakesNoMoreThanTheBatchItWasMadeForInPriorityOrderLeavingOutExcludedKinds() async throws {
        let first = TestDatabase.uniqueQueue("cap-a"), second = TestDatabase.uniqueQueue("cap-b")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let low = try await store.enqueueBatch((0..<4).map { _ in NewJob(kind: "noop", queue: first, priority: 5) })
            let high = try await store.enqueueBatch((0..<2).map { _ in NewJob(kind: "noop", queue: second, priority: 1) })
            let excluded = try await store.enqueue(NewJob(kind: "it's-limited", queue: second, priority: 0))
            let connection = ClaimConnection(url: TestDatabase.url, workerID: "cap/1", maxBatch: 3, excludingKinds: ["it's-limited"])
            defer { connection.close() }
            let claimed = try await connection.claim(
                [WorkerQueue(first, limit: 10), WorkerQueue(second, limit: 10)], limit: 10, worker: "cap/1", completing: [])
            #expect(claimed.jobs.map(\.id) == high + [low[0]], "three, the batch, taken in priority order across the queues")
            let rest = try await connection.claim([WorkerQueue(first, limit: 10)], limit: 10, worker: "cap/1", completing: [])
            #expect(rest.jobs.map(\.id) == Array(low[1...3]), "each queue's scan is capped at the batch too")
            #expect(try await store.job(excluded.id)?.state == .available, "a kind left to its own path is not claimed")
        }
    }

    /// A plan made while the table was empty must not turn into a scan of the table once it
    /// fills: the claim connection forces generic plans, which are made once. Printing the
    /// plans on failure shows what the planner chose instead.
    @Test func theGenericPlansMadeOnAnEmptyTableReadOnlyByIndexOnceItFills() async throws {
        try await TestDatabase.withFreshDatabase { url in
            let queue = "plans"
            try await TestDatabase.withClient(url: url, migrate: false) { client in
                _ = try await Migrator(client: client, logger: TestDatabase.logger)
                    .migrate(Migration.load(from: TestDatabase.migrationsDirectory))
                try await client.query("ANALYZE jobs", logger: TestDatabase.logger)
                let connection = ClaimConnection(url: url, workerID: "plans/1", maxBatch: 50, excludingKinds: ["it's-limited"])
                let session = LibPQSession(url: url, applicationName: "nightshift-test plans", settings: ClaimConnection.sessionSettings)
                defer { connection.close(); session.close() }
                let claimSQL = connection.claimSQL
                let claimParameters: [String?] = ["{}", "{}", ArrayLiteral.text([queue]), "50", "plans/1", "{50}"]
                try await session.run { connection in
                    _ = try connection.execute(prepared: "claim", claimSQL, claimParameters)
                    _ = try connection.execute(prepared: "complete", JobStore.completeBatchSQL, ["{}", "{}"])
                }
                try await client.query(PostgresQuery(unsafeSQL: """
                    INSERT INTO jobs (kind, queue) SELECT 'noop', '\(queue)' FROM generate_series(1, 20000)
                    """), logger: TestDatabase.logger)
                let (plans, claimed) = try await session.run { connection in
                    let claimed = try connection.execute(prepared: "claim", claimSQL, claimParameters)
                    let ids = (0..<claimed.rowCount).map { claimed.int($0, 1) }
                    let attempts = (0..<claimed.rowCount).map { claimed.int($0, 5) }
                    var plans: [String] = []
                    for explain in [
                        "EXPLAIN EXECUTE claim('{}', '{}', '{\(queue)}', 50, 'plans/1', '{50}')",
                        "EXPLAIN EXECUTE complete('\(ArrayLiteral.integers(ids))', '\(ArrayLiteral.integers(attempts))')",
                    ] {
                        let rows = try connection.execute(explain)
                        plans.append((0..<rows.rowCount).map { rows.string($0, 0) }.joined(separator: "\n"))
                    }
                    let counts = try connection.execute("SELECT sum(custom_plans)::int, sum(generic_plans)::int FROM pg_prepared_statements")
                    plans.append("custom \(counts.string(0, 0)), generic \(counts.string(0, 1))")
                    return (plans, ids)
                }
                #expect(claimed.count == 50 && claimed == claimed.sorted(), "a full batch, oldest first")
                #expect(plans[2].hasPrefix("custom 0,"), "every plan generic: \(plans[2])")
                for plan in plans.prefix(2) {
                    let onJobs = plan.split(separator: "\n").filter { $0.contains(" on jobs") && !$0.contains("Update on jobs") }
                    // A b-tree index scan, not a bitmap scan: rows visited in key order, so
                    // completions lock their rows in id order as heartbeats do.
                    #expect(!onJobs.isEmpty && onJobs.allSatisfy { $0.contains("Index Scan") || $0.contains("Index Only Scan") },
                            "jobs is read by b-tree index scans only:\n\(plan)")
                }
            }
        }
    }

    @Test func queueNamesWithCommasQuotesAndBracesAreClaimedFromThatQueueOnly() async throws {
        let suffix = UUID().uuidString.prefix(6)
        let odd = #"odd "q",{\\}-"# + suffix
        let plain = "odd-" + suffix
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let wanted = try await store.enqueue(NewJob(kind: "noop", queue: odd))
            let other = try await store.enqueue(NewJob(kind: "noop", queue: plain))
            let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: odd))
            try await eventually("job in the odd queue done") { try await store.job(wanted.id)?.state == .succeeded }
            try await harness.stop()
            #expect(try await store.job(other.id)?.state == .available, "a queue named like part of the literal is not claimed")
        }
    }

    @Test func aWorkerWhoseClaimConnectionIsKilledReconnectsAndGoesOn() async throws {
        let queue = TestDatabase.uniqueQueue("reconnect")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            var configuration = WorkerHarness.configuration(queue: queue)
            configuration.workerID = "reconnect/\(queue)"
            let harness = try WorkerHarness(client: client, configuration: configuration)
            let first = try await store.enqueue(NewJob(kind: "noop", queue: queue))
            try await eventually("first job done") { try await store.job(first.id)?.state == .succeeded }
            let killed = try await client.scalar("""
                SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity
                WHERE application_name = \("nightshift-worker \(configuration.workerID)")
                """, as: Int.self)
            // One per claimer that has connected (a helper connects on its first use).
            #expect((1...configuration.claimers).contains(killed ?? 0), "the worker's claim connections were found and terminated")
            let second = try await store.enqueue(NewJob(kind: "noop", queue: queue))
            try await eventually("job after the kill done") { try await store.job(second.id)?.state == .succeeded }
            try await harness.stop()
        }
    }

    @Test func completionsRidingWithAClaimAreFencedByAttempt() async throws {
        let queue = TestDatabase.uniqueQueue("ride")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let ids = try await store.enqueueBatch((0..<3).map { _ in NewJob(kind: "noop", queue: queue) })
            let connection = ClaimConnection(url: TestDatabase.url, workerID: "ride/1", maxBatch: 50)
            defer { connection.close() }
            let first = try await connection.claim([WorkerQueue(queue, limit: 2)], limit: 2, worker: "ride/1", completing: [])
            #expect(first.jobs.map(\.id) == Array(ids.prefix(2)), "claimed in order")
            let current = AttemptRef(id: first.jobs[0].id, attempt: first.jobs[0].attempt)
            let stale = AttemptRef(id: first.jobs[1].id, attempt: first.jobs[1].attempt + 1)
            let second = try await connection.claim([WorkerQueue(queue, limit: 5)], limit: 5, worker: "ride/1", completing: [current, stale])
            #expect(second.jobs.map(\.id) == [ids[2]])
            #expect(second.fenced == [stale], "only the completion whose attempt is not running is refused")
            #expect(try await store.job(current.id)?.state == .succeeded)
            #expect(try await store.job(stale.id)?.state == .running, "a refused completion changes nothing")
        }
    }

    /// A completion riding with a claim waits on a lock held elsewhere for `lock_timeout` at
    /// most, and fails as a lock conflict the worker retries at once, not after the server's
    /// one-second deadlock check; once the lock is gone the next claim completes the job.
    @Test func aClaimWaitingOnAnotherSessionsLockGivesUpAsALockConflict() async throws {
        let queue = TestDatabase.uniqueQueue("lockwait")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            _ = try await store.enqueueBatch((0..<2).map { _ in NewJob(kind: "noop", queue: queue) })
            let connection = ClaimConnection(url: TestDatabase.url, workerID: "lockwait/1", maxBatch: 50)
            let holder = LibPQSession(url: TestDatabase.url, applicationName: "nightshift-test lock holder")
            defer { connection.close(); holder.close() }
            let first = try await connection.claim([WorkerQueue(queue, limit: 1)], limit: 1, worker: "lockwait/1", completing: [])
            let ref = AttemptRef(id: first.jobs[0].id, attempt: first.jobs[0].attempt)
            try await holder.run { connection in
                _ = try connection.execute("BEGIN")
                _ = try connection.execute("SELECT id FROM jobs WHERE id = \(ref.id) FOR UPDATE")
            }
            let started = ContinuousClock.now
            let refusal = await #expect(throws: LibPQError.self) {
                _ = try await connection.claim([WorkerQueue(queue, limit: 1)], limit: 1, worker: "lockwait/1", completing: [ref])
            }
            #expect(refusal.map(ClaimConnection.isLockConflict) == true, "\(String(describing: refusal))")
            #expect(ContinuousClock.now - started < .milliseconds(900), "gave up before the server's deadlock check would have")
            #expect(try await store.job(ref.id)?.state == .running, "the failed claim changed nothing")
            try await holder.run { _ = try $0.execute("ROLLBACK") }
            let retried = try await connection.claim([WorkerQueue(queue, limit: 1)], limit: 1, worker: "lockwait/1", completing: [ref])
            #expect(retried.jobs.count == 1 && retried.fenced.isEmpty)
            #expect(try await store.job(ref.id)?.state == .succeeded)
        }
        #expect(!ClaimConnection.isLockConflict(LibPQError("connection lost", isConnectionFailure: true)))
        #expect(!ClaimConnection.isLockConflict(LibPQError("unique violation", sqlState: "23505")))
    }
}
