import JobQueue
import NightshiftCore
import Testing
import TestSupport

@Suite struct JobRegistryTests {
    @Test func registeringAKindTwiceIsAnError() throws {
        var registry = JobRegistry()
        try registry.register(NoopJob())
        #expect(throws: JobRegistryError.duplicateKind("noop")) { try registry.register(NoopJob()) }
    }

    @Test func newJobValidationNamesTheField() {
        func field(_ job: NewJob) -> String? {
            do { try job.validate(); return nil } catch { return error.field }
        }
        #expect(field(NewJob(kind: "noop", args: "[1]")) == "args")
        #expect(field(NewJob(kind: "noop", priority: 40_000)) == "priority")
        #expect(field(NewJob(kind: "", args: "{}")) == "kind")
        #expect(field(NewJob(kind: "noop", maxAttempts: 0)) == "max_attempts")
        #expect(field(NewJob(kind: "noop", uniqueKey: "")) == "unique_key")
        #expect(field(NewJob(kind: "noop")) == nil)
    }

    @Test func argumentsAreCheckedWithTheKindsOwnTypeBeforeAnythingIsWritten() throws {
        var registry = JobRegistry()
        try registry.register(NoopJob())
        try registry.register(DemoSleepJob())
        try TestKinds.register(in: &registry)
        func failure(_ kind: String, _ args: String) -> InvalidInput? {
            do { try registry.validate(kind: kind, args: args); return nil } catch { return error }
        }
        #expect(failure("noop", "{}") == nil)
        #expect(failure("no-such-kind", "{}")?.field == "kind")
        #expect(failure("no-such-kind", "{}")?.message.contains("demo-sleep, noop, test-exclusive, test-fail") == true)
        #expect(failure("test-fail", "{}")?.field == "args.failTimes")
        #expect(failure("test-fail", "{}")?.message.contains("missing field 'failTimes'") == true)
        #expect(failure("test-sleep", #"{"milliseconds": "soon"}"#)?.field == "args.milliseconds")
        // The kind's own check, beyond decoding.
        #expect(failure("demo-sleep", #"{"milliseconds": -1}"#)?.field == "args.milliseconds")
        #expect(failure("demo-sleep", #"{"milliseconds": 5}"#) == nil)
    }

    @Test func anUnknownFieldIsRefusedAtEnqueueNamingTheFieldsTheKindHasButAWorkerRunsIt() throws {
        var registry = JobRegistry()
        try TestKinds.register(in: &registry)
        try registry.register(NoopJob())
        do {
            try registry.validate(kind: TestKinds.SnoozeJob.kind, args: #"{"times": 1, "milliseconds": 5, "tiems": 2}"#)
            Issue.record("an unknown field was accepted")
        } catch {
            #expect(error.field == "args.tiems" && error.message == "args has no field 'tiems': test-snooze takes times, milliseconds")
        }
        // noop takes any fields (a health check's marker).
        try registry.validate(kind: "noop", args: #"{"marker": "health"}"#)
    }
}
