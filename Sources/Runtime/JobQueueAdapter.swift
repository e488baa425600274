import Infrastructure
public import Ports

/// A broker adapter: every queue port at once (in memory, or RabbitMQ).
public typealias JobQueueAdapter = OutboxPublisher & JobEventPublisher & JobDispatchSource & JobEventSource & StopRequestSource

/// Rings two outbox signals: the local relay's doorbell and the NOTIFY that wakes relays
/// in other processes.
public struct SignalBoth: OutboxSignal {
    let first: any OutboxSignal
    let second: any OutboxSignal

    public init(_ first: any OutboxSignal, _ second: any OutboxSignal) {
        self.first = first
        self.second = second
    }

    public func outboxChanged() {
        first.outboxChanged()
        second.outboxChanged()
    }
}
