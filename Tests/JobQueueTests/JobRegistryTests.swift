import JobQueue
import Testing

@Suite struct JobRegistryTests {
    @Test func registeringAKindTwiceIsAnError() throws {
        var registry = JobRegistry()
        try registry.register(NoopJob())
        #expect(throws: JobRegistryError.duplicateKind("noop")) { try registry.register(NoopJob()) }
    }

    @Test func newJobValidationNamesTheField() {
        #expect(throws: (any Error).self) { try NewJob(kind: "noop", args: "[1]").validate() }
        #expect(throws: (any Error).self) { try NewJob(kind: "noop", priority: 40_000).validate() }
        #expect(throws: (any Error).self) { try NewJob(kind: "", args: "{}").validate() }
        #expect(throws: (any Error).self) { try NewJob(kind: "noop", maxAttempts: 0).validate() }
    }
}
