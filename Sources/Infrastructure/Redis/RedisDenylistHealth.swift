import Synchronization

/// Whether this process may trust a "not listed" from the Redis denylist, and whether a
/// refill from the session store is due: after one of its own writes failed (Redis was
/// down), or once the list was seen without its completeness marker (Redis came back
/// empty; every process sees that, not only one whose write failed). The marker itself
/// is checked by the gate on every request (`RedisKeys.denylistComplete`).
public final class RedisDenylistHealth: Sendable {
    private struct Counts {
        var missed = 0
        var refilled = 0
        /// The marker was seen absent (or not yet looked at: a process starts not knowing).
        var markerLost = true
    }

    private let counts = Mutex(Counts())

    public init() {}

    func recordMissedWrite() { counts.withLock { $0.missed += 1 } }

    /// The gate saw the list without its marker: a refill is due, unless another
    /// process is already at it.
    func recordMarkerLost() { counts.withLock { $0.markerLost = true } }

    /// Whether a refill is due; `ticket` is passed back to `refilled(_:)` when it is done,
    /// so that writes missed during the refill keep it due. `takeOver`: this process
    /// missed writes of its own, so it refills even while another process is at it.
    public func refillDue() -> (due: Bool, ticket: Int, takeOver: Bool) {
        counts.withLock { ($0.missed > $0.refilled || $0.markerLost, $0.missed, $0.missed > $0.refilled) }
    }

    public func refilled(_ ticket: Int) {
        counts.withLock {
            $0.refilled = max($0.refilled, ticket)
            $0.markerLost = false
        }
    }

    /// Another process is refilling: nothing to do here unless writes were missed.
    public func refillInOtherHands() { counts.withLock { $0.markerLost = false } }

    var trusted: Bool { counts.withLock { $0.missed <= $0.refilled } }
}
