import NightshiftCore
import Testing

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy.standard

    @Test func doublesFromTheBaseWithoutJitterAtTheMidpoint() {
        #expect(policy.delay(afterAttempt: 1, random: 0.5) == .seconds(1))
        #expect(policy.delay(afterAttempt: 2, random: 0.5) == .seconds(2))
        #expect(policy.delay(afterAttempt: 5, random: 0.5) == .seconds(16))
    }

    @Test func isCappedForLateAttempts() {
        #expect(policy.delay(afterAttempt: 13, random: 0.5) == .seconds(3600))
        #expect(policy.delay(afterAttempt: 1_000, random: 0.5) == .seconds(3600))
    }

    @Test func jitterStaysWithinItsFraction() {
        for attempt in 1...25 {
            let middle = policy.delay(afterAttempt: attempt, random: 0.5)
            let low = policy.delay(afterAttempt: attempt, random: 0)
            let high = policy.delay(afterAttempt: attempt, random: 0.999_999)
            #expect(low == middle * 0.9)
            #expect(high <= middle * 1.1 && high > middle)
        }
    }

    @Test func randomDelaysVary() {
        let delays = Set((0..<20).map { _ in policy.delay(afterAttempt: 3) })
        #expect(delays.count > 1)
    }
}
