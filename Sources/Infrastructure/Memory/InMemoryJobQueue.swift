public import Domain
public import Ports

/// The broker in memory: the dispatch queue (by priority), the events queue, and the
/// stop broadcast, with the delivery semantics of the RabbitMQ adapter. The embedded
/// mode runs the very same consumers over it.
public final class InMemoryJobQueue: OutboxPublisher, JobEventPublisher, JobDispatchSource, JobEventSource, StopRequestSource {
    let dispatchQueue = InMemoryQueue<JobDispatch>()
    let eventQueue = InMemoryQueue<JobEvent>()
    private let broadcast = StopBroadcast()

    public init() {}

    public func publish(_ messages: [OutboxMessage]) async throws {
        for message in messages {
            switch message {
            case .dispatch(let dispatch): await dispatchQueue.publish(dispatch, priority: dispatch.priority)
            case .stop(let stop): await broadcast.send(stop)
            }
        }
    }

    public func publish(_ event: JobEvent) async throws { await eventQueue.publish(event) }

    public func dispatches(prefetch: Int) async throws -> Intake<JobDispatch> {
        await dispatchQueue.intake(prefetch: prefetch)
    }

    public func events(prefetch: Int) async throws -> Intake<JobEvent> {
        await eventQueue.intake(prefetch: prefetch)
    }

    public func stopRequests() async throws -> AsyncThrowingStream<StopRequest, any Error> {
        await broadcast.subscribe()
    }

    /// Reports set aside on the dead-letter queue, with why.
    public var deadLetteredEvents: [(event: JobEvent, reason: String)] {
        get async { Array(zip(await eventQueue.deadLettered, await eventQueue.deadLetterReasons)) }
    }

    /// Messages waiting in the dispatch queue (not yet handed to a consumer).
    public var pendingDispatches: Int { get async { await dispatchQueue.readyCount } }

    /// Dispatches handed to a consumer and not yet settled.
    public var unsettledDispatches: Int { get async { await dispatchQueue.unsettledCount } }
}

/// A fanout exchange: every subscriber gets every stop sent after it subscribed.
private actor StopBroadcast {
    private var subscribers: [Int: AsyncThrowingStream<StopRequest, any Error>.Continuation] = [:]
    private var nextID = 0

    func subscribe() -> AsyncThrowingStream<StopRequest, any Error> {
        nextID += 1
        let id = nextID
        let (stream, continuation) = AsyncThrowingStream<StopRequest, any Error>.makeStream()
        continuation.onTermination = { _ in Task { await self.unsubscribe(id) } }
        subscribers[id] = continuation
        return stream
    }

    func send(_ stop: StopRequest) {
        for continuation in subscribers.values { continuation.yield(stop) }
    }

    private func unsubscribe(_ id: Int) { subscribers[id] = nil }
}
