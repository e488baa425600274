import Ports

/// One broker queue in memory with the semantics the RabbitMQ adapter has: each
/// consumer holds at most `prefetch` unsettled messages; `requeue` (or a consumer that
/// goes away without settling) hands a message to the next consumer marked
/// redelivered; `reject` dead-letters it. Higher `priority` is delivered first.
actor InMemoryQueue<Message: Sendable> {
    private struct Item {
        let sequence: Int
        let message: Message
        let priority: Int
        var redelivered: Bool
    }

    private final class Consumer: Sendable {
        let id: Int
        let prefetch: Int
        let continuation: AsyncThrowingStream<Delivery<Message>, any Error>.Continuation
        init(id: Int, prefetch: Int, continuation: AsyncThrowingStream<Delivery<Message>, any Error>.Continuation) {
            self.id = id
            self.prefetch = prefetch
            self.continuation = continuation
        }
    }

    private var ready: [Item] = []
    private var unsettled: [Int: (consumer: Int, item: Item)] = [:]
    private var consumers: [Int: Consumer] = [:]
    /// Consumers that stopped their intake: they get nothing new, and what they hold
    /// stays theirs to settle (see `Intake`).
    private var draining: Set<Int> = []
    private var nextSequence = 0
    private var nextConsumer = 0
    private(set) var deadLettered: [Message] = []
    /// Why each of `deadLettered` was set aside, in the same order.
    private(set) var deadLetterReasons: [String] = []

    func publish(_ message: Message, priority: Int = 0) {
        nextSequence += 1
        ready.append(Item(sequence: nextSequence, message: message, priority: priority, redelivered: false))
        pump()
    }

    func consume(prefetch: Int) -> AsyncThrowingStream<Delivery<Message>, any Error> {
        nextConsumer += 1
        let id = nextConsumer
        let (stream, continuation) = AsyncThrowingStream<Delivery<Message>, any Error>.makeStream()
        continuation.onTermination = { _ in Task { await self.removeConsumer(id) } }
        consumers[id] = Consumer(id: id, prefetch: max(1, prefetch), continuation: continuation)
        pump()
        return stream
    }

    /// A consumer whose intake can be stopped without giving back what it holds.
    func intake(prefetch: Int) -> Intake<Message> {
        let stream = consume(prefetch: prefetch)
        let id = nextConsumer
        return Intake(stream, stopIntake: { Task { await self.stopIntake(id) } })
    }

    private func stopIntake(_ id: Int) {
        guard let consumer = consumers[id] else { return }
        draining.insert(id)
        consumer.continuation.finish()
    }

    var readyCount: Int { ready.count }
    var unsettledCount: Int { unsettled.count }

    private func removeConsumer(_ id: Int) {
        consumers[id] = nil
        // A drained consumer keeps settling what it holds.
        if draining.remove(id) != nil { return }
        // Like a closed channel: whatever it had not settled goes back, redelivered.
        for (sequence, entry) in unsettled where entry.consumer == id {
            unsettled[sequence] = nil
            var item = entry.item
            item.redelivered = true
            ready.append(item)
        }
        pump()
    }

    private func settle(_ sequence: Int, _ settlement: Delivery<Message>.Settlement) {
        guard let entry = unsettled.removeValue(forKey: sequence) else { return }
        switch settlement {
        case .ack: break
        case .reject(let reason):
            deadLettered.append(entry.item.message)
            deadLetterReasons.append(reason)
        case .requeue:
            var item = entry.item
            item.redelivered = true
            ready.append(item)
        }
        pump()
    }

    private func pump() {
        for consumer in consumers.values.sorted(by: { $0.id < $1.id }) where !draining.contains(consumer.id) {
            while !ready.isEmpty, unsettled.values.lazy.filter({ $0.consumer == consumer.id }).count < consumer.prefetch {
                let next = ready.indices.min { a, b in
                    (-ready[a].priority, ready[a].sequence) < (-ready[b].priority, ready[b].sequence)
                }!
                let item = ready.remove(at: next)
                unsettled[item.sequence] = (consumer.id, item)
                let sequence = item.sequence
                let delivery = Delivery(message: item.message, redelivered: item.redelivered) { settlement in
                    await self.settle(sequence, settlement)
                }
                consumer.continuation.yield(delivery)
            }
        }
    }
}
