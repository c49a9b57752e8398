import Foundation
import JobQueue
import Testing
import TestSupport

/// Issue 31's model-based test: seeded random runs against the real database — DAGs of jobs,
/// random outcomes, random operator actions, worker processes killed with SIGKILL — checked
/// after quiescence against an in-memory model (``ModelChecks``).
///
/// A failing run prints its seed; `NIGHTSHIFT_MODEL_SEED=N` runs that seed alone (the same
/// jobs and actions; the timing is the machine's). `NIGHTSHIFT_MODEL_RUNS`, `_WAVES`, `_JOBS`,
/// `_KILLS` and `_CHAIN` size the run, `_PRUNE=1` adds pruner passes (ops/chaos.sh --model sets them for the long run).
@Suite(.serialized) struct QueueModelTests {
    static func setting(_ name: String, _ fallback: Int) -> Int {
        ProcessInfo.processInfo.environment["NIGHTSHIFT_MODEL_\(name)"].flatMap(Int.init) ?? fallback
    }

    static var seeds: [UInt64] {
        if let text = ProcessInfo.processInfo.environment["NIGHTSHIFT_MODEL_SEED"], let seed = UInt64(text) { return [seed] }
        var rng = SystemRandomNumberGenerator()
        return (0..<setting("RUNS", 2)).map { _ in rng.next() % 1_000_000_000 }
    }

    @Test func seededRandomRunsKeepTheQueuesRules() async throws {
        for (n, seed) in Self.seeds.enumerated() {
            var configuration = ModelRunConfiguration(seed: seed)
            configuration.size.waves = Self.setting("WAVES", 4)
            configuration.size.jobsPerWave = Self.setting("JOBS", 24)
            configuration.kills = Self.setting("KILLS", 3)
            // The pruner is global: only where the run has the database to itself (ops/chaos.sh --model).
            configuration.size.prune = Self.setting("PRUNE", 0) == 1
            // The chain that overflowed the trigger's stack (issue 31, item 6): in the first run.
            configuration.longChain = n == 0 ? Self.setting("CHAIN", 1_100) : 0
            print("model run: NIGHTSHIFT_MODEL_SEED=\(seed)")
            let report = try await TestDatabase.withClient(maximumConnections: 8) { [configuration] client in
                var run = ModelRun(configuration: configuration, client: client)
                return try await run.run()
            }
            print("model run: \(report.summary)")
            for violation in report.violations { print("model violation (seed \(seed)): \(violation)") }
            #expect(report.violations.isEmpty, """
                seed \(seed) broke \(report.violations.count) rule(s); rerun with NIGHTSHIFT_MODEL_SEED=\(seed):
                \(report.violations.prefix(40).joined(separator: "\n"))
                """)
        }
    }

    @Test func aSeedDrawsTheSameRunEveryTime() {
        var a = ModelPlanner(seed: 42, size: ModelSize(), runTag: "x"), b = ModelPlanner(seed: 42, size: ModelSize(), runTag: "x")
        var c = ModelPlanner(seed: 43, size: ModelSize(), runTag: "x")
        let waves = a.waves()
        #expect(waves == b.waves())
        #expect(waves != c.waves())
        let jobs = waves.flatMap(\.steps).map(\.job)
        // Each shape and outcome the model is for appears in a default-sized run.
        #expect(jobs.contains { $0.dependsOn.count > 1 })
        #expect(jobs.contains { $0.uniqueKey != nil })
        #expect(jobs.contains { $0.runAnyway })
        #expect(jobs.contains { $0.args.snoozes > 0 })
        #expect(jobs.contains { $0.args.fails.count >= $0.maxAttempts })
        #expect(jobs.allSatisfy { job in job.dependsOn.allSatisfy { $0 < job.index } })
        let actions = waves.flatMap(\.steps).flatMap(\.actions)
        #expect(actions.contains { if case .cancelAll = $0 { true } else { false } })
        #expect(actions.contains { if case .retryAll = $0 { true } else { false } })
    }
}
