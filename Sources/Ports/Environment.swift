public import Foundation

/// The current wall-clock time (a `Date`; not Swift's `Clock`, which measures
/// durations). Injected so that expiry, backoff and scheduling are tested
/// without sleeping.
public protocol WallClock: Sendable {
    func now() -> Date
}

/// Fresh identifiers. Injected so tests can predict them.
public protocol IDGenerator: Sendable {
    func next() -> UUID
}

/// Randomness for jitter: a number in [0, 1).
public protocol RandomSource: Sendable {
    func unitInterval() -> Double
}
