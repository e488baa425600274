import Synchronization

/// Whether the Redis denylist may be missing revocations: a write failed (Redis was
/// down) and the sessions revoked meanwhile have not been copied back from the session
/// store yet. Until they have, the gate does not trust a "not revoked" from Redis and
/// asks the session store instead. A process starts out of sync: it cannot know what
/// was written while it was not running.
public final class RedisDenylistHealth: Sendable {
    private struct Counts {
        var missed = 1
        var refilled = 0
    }

    private let counts = Mutex(Counts())

    public init() {}

    func recordMissedWrite() { counts.withLock { $0.missed += 1 } }

    /// Whether a refill is due; `ticket` is passed back to `refilled(_:)` when it is done,
    /// so that writes missed during the refill keep it due.
    public func refillDue() -> (due: Bool, ticket: Int) {
        counts.withLock { ($0.missed > $0.refilled, $0.missed) }
    }

    public func refilled(_ ticket: Int) { counts.withLock { $0.refilled = max($0.refilled, ticket) } }

    var trusted: Bool { counts.withLock { $0.missed <= $0.refilled } }
}
