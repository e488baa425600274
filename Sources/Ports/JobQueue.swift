public import Domain

/// One message handed to a consumer, to be settled exactly once.
public struct Delivery<Message: Sendable>: Sendable {
    public enum Settlement: Sendable {
        case ack
        /// Give it back to the broker for another consumer.
        case requeue
        /// Dead-letter it, saying why: it can never be processed.
        case reject(reason: String)
    }

    public let message: Message
    /// The broker delivered it before (to a consumer that did not settle it).
    public let redelivered: Bool
    private let settle: @Sendable (Settlement) async throws -> Void

    public init(message: Message, redelivered: Bool, settle: @escaping @Sendable (Settlement) async throws -> Void) {
        self.message = message
        self.redelivered = redelivered
        self.settle = settle
    }

    public func ack() async throws { try await settle(.ack) }
    public func requeue() async throws { try await settle(.requeue) }
    /// Sets it aside on the dead-letter queue with `reason` (for the operator who reads
    /// it there), so that it never blocks the messages behind it.
    public func reject(reason: String) async throws { try await settle(.reject(reason: reason)) }
}

/// Publishes what the outbox relay takes out of the outbox. Returns only once the
/// broker has confirmed every message (persistent, publisher-confirmed).
public protocol OutboxPublisher: Sendable {
    func publish(_ messages: [OutboxMessage]) async throws
}

/// A worker's reports (`job.started`, `job.output`, `job.finished`), confirmed.
public protocol JobEventPublisher: Sendable {
    func publish(_ event: JobEvent) async throws
}

/// A subscription that can stop taking messages without giving back those it holds.
/// Iterate it like the stream it wraps. After `stopIntake()` the source hands out
/// nothing new (what it had received already is still yielded, then the sequence
/// ends), and every delivery handed out can still be settled until all are. Ending the
/// iteration early instead (cancelling) gives back whatever is unsettled at once.
public struct Intake<Message: Sendable>: AsyncSequence, Sendable {
    public typealias Element = Delivery<Message>
    private let stream: AsyncThrowingStream<Delivery<Message>, any Error>
    private let stop: @Sendable () -> Void

    public init(_ stream: AsyncThrowingStream<Delivery<Message>, any Error>, stopIntake: @escaping @Sendable () -> Void) {
        self.stream = stream
        self.stop = stopIntake
    }

    public func makeAsyncIterator() -> AsyncThrowingStream<Delivery<Message>, any Error>.AsyncIterator {
        stream.makeAsyncIterator()
    }

    /// Takes nothing more; see the type's description.
    public func stopIntake() { stop() }
}

/// The executor's intake: dispatches, at most `prefetch` unsettled at a time, highest
/// priority first. Messages that cannot be parsed are dead-lettered by the adapter. A
/// worker shutting down stops the intake and settles the runs it holds: they are not
/// handed to another worker while they still run here.
public protocol JobDispatchSource: Sendable {
    func dispatches(prefetch: Int) async throws -> Intake<JobDispatch>
}

/// The results processor's intake.
public protocol JobEventSource: Sendable {
    func events(prefetch: Int) async throws -> Intake<JobEvent>
}

/// Stop requests broadcast to every worker (each worker has its own subscription).
public protocol StopRequestSource: Sendable {
    func stopRequests() async throws -> AsyncThrowingStream<StopRequest, any Error>
}
