import Domain
import Testing

@Suite("Backoff and GCRA")
struct BackoffAndRateTests {
    @Test("backoff doubles per attempt, between half and all of the ceiling, capped")
    func backoff() {
        let backoff = Backoff(baseSeconds: 5, capSeconds: 60)
        #expect(backoff.delay(afterAttempt: 1, jitter: 0) == 2.5)
        #expect(backoff.delay(afterAttempt: 1, jitter: 0.999_999) < 5.000_001)
        #expect(backoff.delay(afterAttempt: 2, jitter: 0) == 5)
        #expect(backoff.delay(afterAttempt: 3, jitter: 1) == 20)
        #expect(backoff.delay(afterAttempt: 10, jitter: 1) == 60)
        #expect(backoff.delay(afterAttempt: 1000, jitter: 0.5) == 45)
        // Jitter spreads: two workers with different draws wait different times.
        #expect(backoff.delay(afterAttempt: 2, jitter: 0.1) != backoff.delay(afterAttempt: 2, jitter: 0.9))
    }

    @Test("GCRA allows exactly the limit per window, then tells when to retry")
    func gcraBurst() {
        let policy = RateLimitPolicy(name: "login", limit: 5, windowSeconds: 900)
        var tat: Int64?
        var remaining: [Int] = []
        for _ in 0..<5 {
            let (decision, newTAT) = GCRA.evaluate(storedTAT: tat, nowMillis: 1_000_000, policy: policy)
            #expect(decision.allowed)
            remaining.append(decision.remaining)
            tat = newTAT
        }
        #expect(remaining == [4, 3, 2, 1, 0])
        let (refused, unchanged) = GCRA.evaluate(storedTAT: tat, nowMillis: 1_000_000, policy: policy)
        #expect(!refused.allowed && refused.remaining == 0 && unchanged == tat)
        #expect(refused.retryAfterSeconds == 180)  // one emission interval: 900 s / 5
        #expect(refused.resetSeconds == 900)
        // After one interval, exactly one more request is allowed.
        let later = GCRA.evaluate(storedTAT: tat, nowMillis: 1_000_000 + 180_000, policy: policy)
        #expect(later.0.allowed && later.0.remaining == 0)
    }
}
