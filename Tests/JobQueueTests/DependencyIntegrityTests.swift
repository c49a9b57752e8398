import Foundation
import JobQueue
import PostgresNIO
import Testing
import TestSupport

/// Issue 31's dependency rules, tried as a reviewer would: retries of dependents and of
/// dependencies, operator cancels, shared unique keys, pruning, long chains and fan-outs, and
/// a retry racing a completion held open in a second session.
@Suite struct DependencyIntegrityTests {
    /// `count` jobs in `queue`, each waiting for the one before (`chain`) or all for the first
    /// (fan-out), the first running attempt 1. Returns the ids, first one first.
    static func graph(_ client: PostgresClient, queue: String, count: Int, chain: Bool) async throws -> [Int64] {
        let head = try await JobFactory.insert(client, queue: queue, state: .running)
        var ids = [head]
        let rows = try await client.query("""
            INSERT INTO jobs (kind, queue, state) SELECT 'noop', \(queue), 'pending' FROM generate_series(1, \(count - 1)) RETURNING id
            """, logger: TestDatabase.logger)
        for try await id in rows.decode(Int64.self) { ids.append(id) }
        ids.sort()
        try await client.query("""
            WITH g AS (SELECT id, lag(id) OVER (ORDER BY id) AS before FROM unnest(\(ids)::bigint[]) AS t(id))
            INSERT INTO job_dependencies (job_id, depends_on)
            SELECT id, CASE WHEN \(chain) THEN before ELSE \(head) END FROM g WHERE before IS NOT NULL
            """, logger: TestDatabase.logger)
        try await client.query("""
            UPDATE jobs SET has_dependents = true WHERE id IN (SELECT depends_on FROM job_dependencies WHERE job_id = ANY(\(ids)::bigint[]))
            """, logger: TestDatabase.logger)
        return ids
    }

    static func counts(_ client: PostgresClient, queue: String) async throws -> [JobState: Int] {
        var counts: [JobState: Int] = [:]
        let rows = try await client.query("SELECT state::text, count(*)::int FROM jobs WHERE queue = \(queue) GROUP BY 1",
                                          logger: TestDatabase.logger)
        for try await (state, count) in rows.decode((String, Int).self) { counts[JobState(rawValue: state)!] = count }
        return counts
    }

    static func cause(_ client: PostgresClient, _ id: Int64) async throws -> (String?, Int64?) {
        for try await row in try await client.query("SELECT cancelled_by, cancelled_by_dependency FROM jobs WHERE id = \(id)",
                                                    logger: TestDatabase.logger).decode((String?, Int64?).self) { return row }
        return (nil, nil)
    }

    /// Whether a session is waiting for a lock while running a statement like `pattern`.
    static func waitingOnLock(_ client: PostgresClient, _ pattern: String) async throws -> Bool {
        try await client.scalar("""
            SELECT count(*)::int FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE \(pattern)
            """, as: Int.self) ?? 0 > 0
    }

    @Test func retryingADependentWhoseDependencyFailedIsRefusedNamingItAndRetryingThatOneBringsItBack() async throws {
        let queue = TestDatabase.uniqueQueue("dep-retry")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let ids = try await Self.graph(client, queue: queue, count: 2, chain: true)
            let (x, j) = (ids[0], ids[1])
            #expect(try await store.markFailed(AttemptRef(id: x, attempt: 1), error: "bucket down", retryDelay: .zero, discard: true,
                                               worker: "w") == .discarded)
            #expect(try await store.job(j)?.state == .cancelled)
            #expect(try await Self.cause(client, j) == ("dependency", x))

            #expect(try await store.retry(j) == .dependencyFailed(dependency: x), "not pending for ever")
            #expect(try await store.job(j)?.state == .cancelled)

            let report = try await store.retryReport(x)
            #expect(report.outcomes[x] == .retried && report.dependents.revived == [j])
            #expect(try await store.job(j)?.state == .pending)
            #expect(try await Self.cause(client, j) == (nil, nil))
        }
    }

    @Test func aDependencyIsNotPrunedWhileADependentExistsAndAMissingOneIsNeverTakenForSucceeded() async throws {
        let queue = TestDatabase.uniqueQueue("dep-prune")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let ids = try await Self.graph(client, queue: queue, count: 2, chain: true)
            let (x, j) = (ids[0], ids[1])
            _ = try await store.markFailed(AttemptRef(id: x, attempt: 1), error: "down", retryDelay: .zero, discard: true, worker: "w")
            try await client.query("UPDATE jobs SET finished_at = now() - interval '400 days' WHERE id = \(x)", logger: TestDatabase.logger)
            try await client.query("UPDATE jobs SET finished_at = now() WHERE id = \(j)", logger: TestDatabase.logger)
            // The prune is global: a year's retention (x is 400 days old) leaves other suites' rows alone.
            _ = try await store.pruneFinishedJobs(succeededAndCancelledOlderThan: .seconds(365 * 86_400),
                                                  discardedOlderThan: .seconds(365 * 86_400), limit: 100_000)
            #expect(try await store.job(x) != nil, "its dependent still exists")

            // Old data without the dependency: the retry is refused, not run blind.
            try await client.query("DELETE FROM jobs WHERE id = \(x)", logger: TestDatabase.logger)
            #expect(try await store.retry(j) == .dependencyFailed(dependency: x))
            #expect(try await store.job(j)?.state == .cancelled)
        }
    }

    @Test func anOperatorsCancelIsNeverRevivedByARetryOfTheDependency() async throws {
        let queue = TestDatabase.uniqueQueue("dep-operator")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let ids = try await Self.graph(client, queue: queue, count: 2, chain: true)
            let (x, j) = (ids[0], ids[1])
            _ = try await store.markFailed(AttemptRef(id: x, attempt: 1), error: "down", retryDelay: .zero, discard: true, worker: "w")
            #expect(try await store.retry(x) == .retried)
            #expect(try await store.job(j)?.state == .pending)
            #expect(try await store.cancel(j) == .cancelled)
            #expect(try await Self.cause(client, j) == ("operator", nil))
            // X runs and fails again; retried again: J stays as the operator left it.
            try await client.query("UPDATE jobs SET state = 'running', attempt = attempt + 1 WHERE id = \(x)", logger: TestDatabase.logger)
            let attempt = try #require(try await store.job(x)?.attempt)
            _ = try await store.markFailed(AttemptRef(id: x, attempt: attempt), error: "down", retryDelay: .zero, discard: true, worker: "w")
            let report = try await store.retryReport(x)
            #expect(report.outcomes[x] == .retried && report.dependents.revived.isEmpty)
            #expect(try await store.job(j)?.state == .cancelled)
            #expect(try await Self.cause(client, j) == ("operator", nil))
        }
    }

    @Test func twoCancelledDependentsSharingAUniqueKeyDoNotMakeTheirDependencyUnretryable() async throws {
        let queue = TestDatabase.uniqueQueue("dep-key")
        let key = "extrato-\(UUID().uuidString)"
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let backup = try await JobFactory.insert(client, kind: "month-backup", queue: queue, state: .running)
            var extrato = NewJob(kind: "extrato", queue: queue, uniqueKey: key)
            extrato.dependsOn = [.id(backup)]
            let first = try await store.enqueue(extrato)
            #expect(first.state == .pending)
            _ = try await store.markFailed(AttemptRef(id: backup, attempt: 1), error: "disk full", retryDelay: .zero, discard: true,
                                           worker: "w")
            // Enqueued again after the backup failed: cancelled at once, by it.
            let second = try await store.enqueue(extrato)
            #expect(second.inserted && second.state == .cancelled)
            #expect(try await Self.cause(client, second.id) == ("dependency", backup))

            let report = try await store.retryReport(backup)
            #expect(report.outcomes[backup] == .retried, "a dependent never makes a retry fail")
            #expect(report.dependents.revived == [second.id], "the newer one waits again")
            #expect(report.dependents.skipped.map(\.id) == [first.id])
            #expect(report.dependents.skipped.first?.reason == .uniqueKeyHeld(holder: second.id))
            #expect(try await store.job(first.id)?.state == .cancelled)
        }
    }

    @Test func aBulkRetryOf1500DependenciesWithDependentsSharingKeysRetriesThemAll() async throws {
        let queue = TestDatabase.uniqueQueue("dep-bulk")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            // 1,500 discarded backups, each with two cancelled extratos of one key.
            try await client.query("""
                WITH b AS (
                    INSERT INTO jobs (kind, queue, state, attempt, max_attempts, finished_at, has_dependents)
                    SELECT 'month-backup', \(queue), 'discarded', 1, 1, now(), true FROM generate_series(1, 1500) RETURNING id
                ), e AS (
                    INSERT INTO jobs (kind, queue, state, finished_at, unique_key, cancelled_by, cancelled_by_dependency)
                    SELECT 'extrato', \(queue), 'cancelled', now(), \(queue) || b.id, 'dependency', b.id FROM b, generate_series(1, 2)
                    RETURNING id, cancelled_by_dependency
                )
                INSERT INTO job_dependencies (job_id, depends_on) SELECT id, cancelled_by_dependency FROM e
                """, logger: TestDatabase.logger)
            let report = try await store.perform(try JobSelection(.retry, kinds: ["month-backup"], queues: [queue]))
            #expect(report.changed == 1500 && report.revived == 1500)
            #expect(report.skipped.isEmpty, "the dependents left are not jobs the selection matched: \(report.skipped.prefix(3))")
            let counts = try await Self.counts(client, queue: queue)
            #expect(counts[.available] == 1500 && counts[.pending] == 1500 && counts[.cancelled] == 1500)
        }
    }

    @Test func aChainAndAFanOutOf3000AreSettledInOneStatementEachWay() async throws {
        for chain in [true, false] {
            let queue = TestDatabase.uniqueQueue(chain ? "dep-chain" : "dep-fan")
            try await TestDatabase.withClient { client in
                let store = JobStore(client: client, logger: TestDatabase.logger)
                let ids = try await Self.graph(client, queue: queue, count: 3000, chain: chain)
                let head = ids[0]
                #expect(try await store.markFailed(AttemptRef(id: head, attempt: 1), error: "down", retryDelay: .zero, discard: true,
                                                   worker: "w") == .discarded, "recorded, no stack-depth error")
                #expect(try await Self.counts(client, queue: queue) == [.discarded: 1, .cancelled: 2999])
                #expect(try await Self.cause(client, ids[2999]) == ("dependency", chain ? ids[2998] : head))

                let report = try await store.retryReport(head)
                #expect(report.dependents.revived.count == 2999)
                #expect(try await Self.counts(client, queue: queue) == [.available: 1, .pending: 2999])
                try await JobFactory.mark([head], .succeeded, on: client)
                #expect(try await Self.counts(client, queue: queue) == (chain ? [.succeeded: 1, .available: 1, .pending: 2998]
                                                                               : [.succeeded: 1, .available: 2999]))
            }
        }
    }

    @Test func aRetryRacingItsDependencysCompletionInASecondSessionWaitsForItAndDoesNotStrandTheJob() async throws {
        let queue = TestDatabase.uniqueQueue("dep-race")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let ids = try await Self.graph(client, queue: queue, count: 2, chain: true)
            let (x, j) = (ids[0], ids[1])
            #expect(try await store.cancel(j) == .cancelled)
            try await client.withConnection { session in
                try await session.query("BEGIN", logger: TestDatabase.logger)
                try await session.query("UPDATE jobs SET state = 'succeeded', finished_at = now() WHERE id = \(x)", logger: TestDatabase.logger)
                // X's settling ran already (J was not pending); the retry must wait for this commit.
                let retry = Task { try await store.retry(j) }
                try await eventually(timeout: .seconds(10), "the retry waits for X's lock") {
                    try await Self.waitingOnLock(client, "%nightshift_retry%")
                }
                try await session.query("COMMIT", logger: TestDatabase.logger)
                #expect(try await retry.value == .retried)
            }
            #expect(try await store.job(j)?.state == .available, "its dependency had succeeded: not pending for ever")
        }
    }

    @Test func twoCompletionsOfCrossedDependenciesNeitherDeadlockNorStrandEitherDependent() async throws {
        let queue = TestDatabase.uniqueQueue("dep-cross")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            for round in 0..<20 {
                var d: [Int64] = []
                for _ in 0..<4 { d.append(try await JobFactory.insert(client, queue: queue, state: .running)) }
                var one = NewJob(kind: "noop", queue: queue)
                one.dependsOn = [.id(d[1]), .id(d[2])]
                let j1 = try await store.enqueue(one)
                one.dependsOn = [.id(d[0]), .id(d[3])]
                let j2 = try await store.enqueue(one)
                // Worker A completes {0, 1}, worker B {2, 3}, at once.
                let (refsA, refsB) = ([AttemptRef(id: d[0], attempt: 1), AttemptRef(id: d[1], attempt: 1)],
                                      [AttemptRef(id: d[2], attempt: 1), AttemptRef(id: d[3], attempt: 1)])
                async let a = store.markSucceeded(refsA)
                async let b = store.markSucceeded(refsB)
                let (fencedA, fencedB) = try await (a, b)
                #expect(fencedA.isEmpty && fencedB.isEmpty, "round \(round)")
                let states = (try await store.job(j1.id)?.state, try await store.job(j2.id)?.state)
                #expect(states.0 == .available && states.1 == .available, "round \(round)")
            }
        }
    }

    // Found by the queue model (QueueModelTests, FOUND 1): an operator's cancel ran in a statement
    // with a second UPDATE of jobs (its `running` CTE), whose statement event replaced the first's.
    @Test func anOperatorCancelSingleOrBulkOfAJobOthersWaitForCancelsTheDependents() async throws {
        let queue = TestDatabase.uniqueQueue("dep-opcancel")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let one = try await Self.graph(client, queue: queue, count: 3, chain: true)
            let two = try await Self.graph(client, queue: queue, count: 3, chain: true)
            try await client.query("UPDATE jobs SET state = 'available' WHERE id IN (\(one[0]), \(two[0]))", logger: TestDatabase.logger)

            #expect(try await store.cancel(one[0]) == .cancelled)
            #expect(try await store.job(one[1])?.state == .cancelled, "not pending for ever")
            #expect(try await store.job(one[2])?.state == .cancelled)
            #expect(try await Self.cause(client, one[1]) == ("dependency", one[0]))

            let selection = try JobSelection(.cancel, states: [.available], queues: [queue])
            #expect(try await store.perform(selection).changed == 1)
            #expect(try await store.job(two[0])?.state == .cancelled)
            #expect(try await store.job(two[1])?.state == .cancelled, "not pending for ever")
            #expect(try await store.job(two[2])?.state == .cancelled)
            #expect(try await Self.counts(client, queue: queue) == [.cancelled: 6])
        }
    }

    // FOUND 2: a cancel of a running job was undone when the attempt then failed, snoozed, was
    // handed back or its worker died: the job went back to retryable/scheduled and ran again.
    @Test func aFailureSnoozeHandBackOrRescueOfAnAttemptAskedToStopEndsItCancelledAndSettlesDependents() async throws {
        let queue = TestDatabase.uniqueQueue("dep-runcancel")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            var heads: [Int64] = []
            var dependents: [Int64] = []
            for _ in 0..<4 {
                let ids = try await Self.graph(client, queue: queue, count: 2, chain: true)
                heads.append(ids[0])
                dependents.append(ids[1])
                #expect(try await store.cancel(ids[0]) == .cancelRequested)
            }
            #expect(try await store.markFailed(AttemptRef(id: heads[0], attempt: 1), error: "boom", retryDelay: .zero,
                                               discard: false, worker: "w") == .cancelled)
            #expect(try await store.markSnoozed(AttemptRef(id: heads[1], attempt: 1), delay: .seconds(60), reason: "later"))
            #expect(try await store.handBack(AttemptRef(id: heads[2], attempt: 1)))
            let rescued = try await store.rescueStuckJobs(staleAfter: .seconds(30), queues: [queue], now: Date().addingTimeInterval(3600))
            #expect(rescued.cancelled == [heads[3]] && rescued.retried.isEmpty)
            for (head, dependent) in zip(heads, dependents) {
                #expect(try await store.job(head)?.state == .cancelled, "job \(head) would run again")
                #expect(try await Self.cause(client, head) == ("operator", nil))
                #expect(try await store.job(dependent)?.state == .cancelled, "dependent \(dependent) settled")
            }
            // An operator's cancel is never revived by a retry of something else, and a claim finds nothing.
            #expect(try await Self.counts(client, queue: queue) == [.cancelled: 8])
        }
    }

    // FOUND 3: a bulk retry of a cancelled chain X → J1 → J2 (J1 not selected) revived J1 and then
    // skipped J2 "because dependency J1 failed", J1 being the job it had just put back.
    @Test func aBulkRetryOfACancelledChainsHeadAndTailRevivesTheWholeChainInOneAction() async throws {
        let queue = TestDatabase.uniqueQueue("dep-chainretry")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let ids = try await Self.graph(client, queue: queue, count: 4, chain: true)
            try await client.query("UPDATE jobs SET kind = 'picked' WHERE id IN (\(ids[0]), \(ids[2]))", logger: TestDatabase.logger)
            #expect(try await store.cancel(ids[0]) == .cancelRequested)
            #expect(try await store.markCancelled(AttemptRef(id: ids[0], attempt: 1), reason: "stopped"))
            #expect(try await Self.counts(client, queue: queue) == [.cancelled: 4])

            let selection = try JobSelection(.retry, states: [.cancelled], kinds: ["picked"], queues: [queue])
            let report = try await store.perform(selection)
            #expect(report.skipped.isEmpty, "skipped: \(report.skipped)")
            #expect(report.changed == 2)
            #expect(try await store.job(ids[0])?.state == .available)
            for id in ids.dropFirst() {
                #expect(try await store.job(id)?.state == .pending, "job \(id) waits again")
                #expect(try await Self.cause(client, id) == (nil, nil))
            }
        }
    }
}
