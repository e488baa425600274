/// Exponential backoff with jitter for retries: attempt n waits between half and all
/// of `min(cap, base * 2^(n-1))`. Half is the floor so that retries never bunch up at
/// zero; the jitter (a number in [0, 1) from an injected source) spreads a burst of
/// failures so they do not retry in lock-step.
public struct Backoff: Hashable, Sendable {
    public let baseSeconds: Double
    public let capSeconds: Double

    public init(baseSeconds: Double = 5, capSeconds: Double = 600) {
        precondition(baseSeconds > 0 && capSeconds >= baseSeconds)
        self.baseSeconds = baseSeconds
        self.capSeconds = capSeconds
    }

    /// The wait before retrying after failed attempt `attempt` (1-based).
    public func delay(afterAttempt attempt: Int, jitter: Double) -> Double {
        let exponent = Double(max(0, min(attempt - 1, 62)))
        let ceiling = min(capSeconds, baseSeconds * Double.pow2(exponent))
        let unit = min(max(jitter, 0), 1)
        return ceiling / 2 + ceiling / 2 * unit
    }
}

extension Double {
    static func pow2(_ exponent: Double) -> Double {
        var result = 1.0
        for _ in 0..<Int(exponent) { result *= 2 }
        return result
    }
}
