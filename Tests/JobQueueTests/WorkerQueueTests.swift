import JobQueue
import Testing

@Suite struct WorkerQueueTests {
    @Test func aListGivesEachQueueItsLimitAndTheDefaultToTheRest() throws {
        #expect(try WorkerQueue.parseList("default=100,backups=2") == [WorkerQueue("default", limit: 100), WorkerQueue("backups", limit: 2)])
        #expect(try WorkerQueue.parseList(" default , reports=5", defaultLimit: 7) == [WorkerQueue("default", limit: 7), WorkerQueue("reports", limit: 5)])
        #expect(try WorkerQueue.parseList("default") == [WorkerQueue("default", limit: WorkerQueue.defaultLimit)])
    }

    @Test func badListsNameTheQueueAndTheFix() {
        #expect { try WorkerQueue.parseList("default=-1") } throws: { "\($0)".contains("queue 'default' has limit '-1'") }
        #expect { try WorkerQueue.parseList("=3") } throws: { "\($0)".contains("empty queue name") }
        #expect { try WorkerQueue.parseList("a,a") } throws: { "\($0)".contains("listed twice") }
    }
}
