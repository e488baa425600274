public import Foundation

/// The current time. Injected so that expiry, backoff and scheduling are tested
/// without sleeping.
public protocol Clock: Sendable {
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
