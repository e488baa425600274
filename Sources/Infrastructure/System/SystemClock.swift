public import Foundation
public import Ports

/// The wall clock.
public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// Random (version 4) UUIDs.
public struct RandomIDGenerator: IDGenerator {
    public init() {}
    public func next() -> UUID { UUID() }
}

/// The system's random number generator.
public struct SystemRandomSource: RandomSource {
    public init() {}
    public func unitInterval() -> Double { Double.random(in: 0..<1) }
}
