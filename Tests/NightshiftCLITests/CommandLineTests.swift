import Database
import Foundation
import JobQueue
import PostgresNIO
import Testing
import TestSupport

/// The real `nightshift` binary: bad input at the command line gets an error naming the field,
/// and nothing is written.
@Suite struct CommandLineTests {
    @Test func enqueueRefusesArgumentsThatDoNotFitTheKindAndWritesNothing() async throws {
        try await TestDatabase.withClient { client in
            let queue = TestDatabase.uniqueQueue("cli")
            for (kind, args, message) in [
                ("backup-month", #"{"year": 2026, "month": 13}"#, "args.month"),
                ("backup-month", #"{"year": 2026}"#, "missing field 'month'"),
                ("no-such-kind", "{}", "unknown job kind 'no-such-kind'"),
                ("noop", "[1, 2]", "--args"),
                // A typo is named with the fields the kind has, before its own checks misread it.
                ("backup-month", #"{"yaer": 2026, "month": 10}"#, "args has no field 'yaer': backup-month takes "),
                // Malformed JSON is called that, with where it broke.
                ("backup-month", #"{"year": 2026, "month": }"#, "args is not valid JSON"),
            ] {
                let run = try ChildProcess(["enqueue", kind, "--args", args, "--queue", queue])
                #expect(try await run.waitForExit() != 0, "\(kind) \(args)")
                #expect(run.log.contains(message), "\(kind) \(args): \(run.log)")
            }
            #expect(try await client.scalar("SELECT count(*)::int FROM jobs WHERE queue = \(queue)", as: Int.self) == 0)
            let good = try ChildProcess(["enqueue", "backup-month", "--args", #"{"year": 2026, "month": 10}"#, "--queue", queue, "--json"])
            #expect(try await good.waitForExit() == 0, "\(good.log)")
            #expect(try await client.scalar("SELECT max_attempts FROM jobs WHERE queue = \(queue)", as: Int.self) == 10,
                    "the kind's own attempts when none are given")
            // break-office2 18: the month's jobs carry the enqueuer's BRANCH_ID unless --args names one.
            #expect(try await client.scalar("SELECT args->>'branch' FROM jobs WHERE queue = \(queue)", as: String.self) == "default")
            let mine = try ChildProcess(["enqueue", "generate-extrato", "--args", #"{"year": 2026, "month": 9}"#, "--queue", queue],
                                        environment: ["BRANCH_ID": "loja"])
            #expect(try await mine.waitForExit() == 0, "\(mine.log)")
            let named = try ChildProcess(["enqueue", "generate-extrato", "--args", #"{"year": 2026, "month": 8, "branch": "sul"}"#, "--queue", queue],
                                         environment: ["BRANCH_ID": "loja"])
            #expect(try await named.waitForExit() == 0, "\(named.log)")
            #expect(try await client.scalar("""
                SELECT string_agg(args->>'branch', ',' ORDER BY id) FROM jobs WHERE queue = \(queue) AND kind = 'generate-extrato'
                """, as: String.self) == "loja,sul")
        }
    }

    @Test func workerFlagsAreCheckedByName() async throws {
        let run = try ChildProcess(["worker", "--concurrency", "0"])
        #expect(try await run.waitForExit() != 0)
        #expect(run.log.contains("--concurrency must be at least 1, got 0"), "\(run.log)")
        for (queues, message) in [("default=0", "--queues: queue 'default' has limit '0': it must be a whole number of at least 1, e.g. default=10"),
                                  ("default=lots", "queue 'default' has limit 'lots'"),
                                  ("default,,backups", "has an empty queue name: write e.g. default=100,backups=2"),
                                  ("a=1,a=2", "queue 'a' is listed twice")] {
            let bad = try ChildProcess(["worker", "--queues", queues])
            #expect(try await bad.waitForExit() != 0)
            #expect(bad.log.contains(message), "\(queues): \(bad.log)")
        }
    }

    /// A fuzz pass over `enqueue`'s flags: every bad value is refused with an error naming the
    /// flag, the process exits normally (no signal), and nothing is written.
    @Test func enqueueFlagsFuzzedAreRefusedByNameAndWriteNothing() async throws {
        try await TestDatabase.withClient { client in
            let queue = TestDatabase.uniqueQueue("clifuzz")
            let bad: [([String], String)] = [
                (["--priority", "high"], "--priority"), (["--priority", "99999999999999999999"], "--priority"),
                (["--priority", "-32769"], "priority"), (["--max-attempts", "0"], "max-attempts"), (["--max-attempts", "x"], "--max-attempts"),
                (["--run-at", "yesterday"], "--run-at"), (["--run-at", "2026-13-40T99:00:00Z"], "--run-at"), (["--in", "10 parsecs"], "--in"),
                (["--in", "-5m"], "--in"), (["--args", "{"], "--args"), (["--args", "\u{0}"], "--args"), (["--args", "[]"], "--args"),
                (["--args", String(repeating: "[", count: 5_000)], "--args"), (["--queue", ""], "queue"),
                (["--queue", String(repeating: "q", count: 200)], "queue"),
                (["--no-such-flag"], "no-such-flag"), (["--run-at", "2026-01-01T00:00:00Z", "--in", "5m"], "--in"),
            ]
            for (flags, named) in bad {
                let run = try ChildProcess(["enqueue", "noop", "--queue", queue] + flags)
                let status = try await run.waitForExit()
                #expect(status != 0 && run.process.terminationReason == .exit, "\(flags.map { $0.prefix(40) }): \(status)")
                #expect(run.log.lowercased().contains(named.lowercased()), "\(flags.map { $0.prefix(40) }) should name \(named): \(run.log.prefix(300))")
            }
            #expect(try await client.scalar("SELECT count(*)::int FROM jobs WHERE queue = \(queue)", as: Int.self) == 0)
        }
    }

    @Test func helpAndVersionPrintAndExitZero() async throws {
        for (arguments, expected) in [(["--help"], "SUBCOMMANDS:"), (["worker", "--help"], "--queues"), (["help", "backup"], "keygen"),
                                      (["backup", "decrypt", "--help"], "--identity-file"), (["--version"], "schema version \(SchemaVersion.required)")] {
            let run = try ChildProcess(arguments)
            #expect(try await run.waitForExit() == 0, "\(arguments): \(run.log)")
            #expect(run.log.contains(expected) && !run.log.contains("Error:"), "\(arguments): \(run.log)")
        }
    }

    @Test func eachSubcommandsErrorsShowThatSubcommandsUsage() async throws {
        for (arguments, message, usage) in [
            (["enqueue", "no-such-kind"], "unknown job kind 'no-such-kind'", "Usage: nightshift enqueue"),
            (["schedules", "next", "0 2 * * *", "--tz", "Mars/Olympus"], "time zone 'Mars/Olympus' is not an IANA time zone",
             "Usage: nightshift schedules next"),
            (["jobs", "retry"], "give a job id, or filters", "Usage: nightshift jobs retry"),
        ] {
            let run = try ChildProcess(arguments)
            #expect(try await run.waitForExit() != 0)
            #expect(run.log.contains(message) && run.log.contains(usage), "\(arguments): \(run.log)")
            #expect(!run.log.contains("cron expression 'Mars"), "the zone is called a zone")
        }
    }

    @Test func aBadSettingIsNamedBeforeAnythingRuns() async throws {
        let run = try ChildProcess(["queue", "stats"], environment: ["EXTRATO_REQUIRE_BACKUP": "perhaps"])
        #expect(try await run.waitForExit() != 0)
        #expect(run.log.contains("EXTRATO_REQUIRE_BACKUP=perhaps is not a boolean"), "\(run.log)")
    }
}
