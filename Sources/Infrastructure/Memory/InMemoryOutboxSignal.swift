public import Ports
import Synchronization

/// Wakes an in-process relay. Wake-ups coalesce: many commits while the relay works
/// lead to one more pass, not one per commit.
public final class InMemoryOutboxSignal: OutboxSignal {
    private let continuation: AsyncStream<Void>.Continuation
    /// The relay iterates this; each element means "the outbox changed".
    public let wakeUps: AsyncStream<Void>

    public init() {
        (wakeUps, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    public func outboxChanged() { continuation.yield(()) }
}
