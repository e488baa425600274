import CRabbitMQ
public import Domain
import Foundation
public import Logging
import Synchronization

/// A message as it arrived, with what settling it needs.
public struct AMQPDelivery: Sendable {
    public let body: [UInt8]
    public let routingKey: String
    public let redelivered: Bool
    /// The header `traceparent`, when it holds a valid one (docs/tracing.md).
    public let traceParent: TraceParent?
    let tag: UInt64
    /// Which connection delivered it: a settlement for an older one is moot (the
    /// broker put the message back when that connection died).
    let generation: Int
}

/// A consuming connection owned by one thread of its own: manual acks, a prefetch,
/// one queue (or, with `queue` nil, an exclusive queue bound to the control exchange).
/// The thread waits for deliveries in short slices and sends the settlements callers
/// queued in between, so an ack leaves within about 20 ms. It reconnects with backoff
/// and subscribes again; deliveries keep flowing into the same stream.
public final class AMQPConsumer: Sendable {
    public enum Settlement: Int32, Sendable {
        case ack = 0
        case requeue = 1
        case reject = 2
    }

    private struct State {
        var settlements: [(tag: UInt64, generation: Int, how: Settlement)] = []
        var closed = false
        var connected = false
        /// Intake is to stop (`stopIntake`), and whether the broker was told (basic.cancel).
        var stopRequested = false
        var intakeStopped = false
        /// Deliveries of the current connection handed out and not yet settled.
        var unsettled: Set<UInt64> = []
    }

    private let settings: AMQPSettings
    private let queue: String?
    private let prefetch: Int
    private let state = Mutex(State())
    private let continuation: AsyncStream<AMQPDelivery>.Continuation
    /// Every delivery, across reconnections; finishes when the consumer is closed.
    public let deliveries: AsyncStream<AMQPDelivery>
    private let logger: Logger

    public init(settings: AMQPSettings, queue: String?, prefetch: Int, logger: Logger) {
        self.settings = settings
        self.queue = queue
        self.prefetch = max(1, min(prefetch, 65535))
        self.logger = logger
        (deliveries, continuation) = AsyncStream.makeStream(of: AMQPDelivery.self)
        let thread = Thread { [self] in run() }
        thread.name = "amqp-consumer-\(queue ?? "control")"
        thread.start()
    }

    public var isConnected: Bool { state.withLock { $0.connected } }

    /// Queues a settlement for the owning thread. A settlement of a delivery from an
    /// earlier connection is dropped: that connection's unsettled messages went back.
    public func settle(_ delivery: AMQPDelivery, _ how: Settlement) {
        state.withLock { $0.settlements.append((delivery.tag, delivery.generation, how)) }
    }

    /// Stops consuming; unsettled deliveries go back to the queue when the connection closes.
    public func close() {
        state.withLock { $0.closed = true }
    }

    /// Stops intake but keeps the connection: the broker delivers nothing more (what
    /// still arrives goes straight back), `deliveries` ends, and the deliveries already
    /// handed out can still be settled. The connection closes once the last of them is
    /// settled (or at `close()`). A worker shutting down uses this, so the jobs it is
    /// still running are not handed to another worker while they run here.
    public func stopIntake() {
        state.withLock { $0.stopRequested = true }
    }

    private func run() {
        var connection: AMQPConnection?
        var generation = 0
        var failures = 0
        var retryAt = ContinuousClock.now
        while !state.withLock({ $0.closed }) {
            guard let live = connection else {
                if ContinuousClock.now < retryAt {
                    Thread.sleep(forTimeInterval: 0.05)
                    continue
                }
                do {
                    let opened = try AMQPConnection(settings)
                    let control = settings.namePrefix + "cloudtask.control"
                    try opened.check { error, size in
                        cloudtask_amqp_consume(opened.state, queue, control, Int32(prefetch), error, size)
                    }
                    connection = opened
                    generation += 1
                    if failures > 0 {
                        logger.notice("RabbitMQ consumer connected again", metadata: ["queue": "\(queue ?? "control")"])
                    }
                    failures = 0
                    state.withLock { $0.connected = true }
                } catch {
                    failures += 1
                    if failures == 1 {
                        logger.warning(
                            "RabbitMQ consumer cannot connect; retrying with backoff",
                            metadata: ["queue": "\(queue ?? "control")", "error": "\(error)"])
                    }
                    retryAt = ContinuousClock.now + min(.seconds(10), .milliseconds(500) * (1 << min(failures - 1, 5)))
                }
                continue
            }
            do {
                try settlePending(on: live, generation: generation)
                if try stopIntakeIfAsked(on: live) { break }
                try receive(on: live, generation: generation)
            } catch {
                logger.warning(
                    "RabbitMQ consumer lost its connection", metadata: ["queue": "\(queue ?? "control")", "error": "\(error)"])
                connection = nil
                let draining = state.withLock { state in
                    state.connected = false
                    state.settlements.removeAll()
                    state.unsettled.removeAll()
                    return state.intakeStopped
                }
                // Draining, there is nothing to reconnect for: the broker took everything back.
                if draining { break }
            }
        }
        if let live = connection { try? settlePending(on: live, generation: generation) }
        connection = nil
        state.withLock { $0.connected = false }
        continuation.finish()
    }

    private func settlePending(on connection: AMQPConnection, generation: Int) throws(AMQPError) {
        let pending = state.withLock { state in
            defer { state.settlements.removeAll() }
            for settlement in state.settlements where settlement.generation == generation {
                state.unsettled.remove(settlement.tag)
            }
            return state.settlements
        }
        for settlement in pending where settlement.generation == generation {
            try connection.check { cloudtask_amqp_settle(connection.state, settlement.tag, settlement.how.rawValue, $0, $1) }
        }
    }

    /// Cancels the subscription when asked to, once, and ends `deliveries`. Returns true
    /// when the drain is over (everything handed out is settled): time to close.
    private func stopIntakeIfAsked(on connection: AMQPConnection) throws(AMQPError) -> Bool {
        let (requested, stopped) = state.withLock { ($0.stopRequested, $0.intakeStopped) }
        guard requested else { return false }
        if !stopped {
            try connection.check { cloudtask_amqp_cancel(connection.state, $0, $1) }
            state.withLock { $0.intakeStopped = true }
            continuation.finish()
            logger.info(
                "RabbitMQ consumer stopped taking messages; settling what it holds", metadata: ["queue": "\(queue ?? "control")"])
        }
        return state.withLock { $0.unsettled.isEmpty && $0.settlements.isEmpty }
    }

    private func receive(on connection: AMQPConnection, generation: Int) throws(AMQPError) {
        var envelope = amqp_envelope_t()
        var error = AMQPErrorBuffer()
        let status = error.withPointer { cloudtask_amqp_next(connection.state, 20, &envelope, $0, $1) }
        guard status >= 0 else { throw .connection(error.text) }
        guard status == 1 else { return }
        defer { amqp_destroy_envelope(&envelope) }
        let draining = state.withLock { state in
            if state.intakeStopped {
                // Sent before the broker saw the cancel: straight back to the queue.
                state.settlements.append((envelope.delivery_tag, generation, .requeue))
            } else {
                state.unsettled.insert(envelope.delivery_tag)
            }
            return state.intakeStopped
        }
        guard !draining else { return }
        let body = envelope.message.body
        let key = envelope.routing_key
        continuation.yield(
            AMQPDelivery(
                body: body.bytes.map { Array(UnsafeRawBufferPointer(start: $0, count: body.len)) } ?? [],
                routingKey: key.bytes.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: key.len), as: UTF8.self) }
                    ?? "",
                redelivered: envelope.redelivered != 0, traceParent: Self.traceParent(of: &envelope),
                tag: envelope.delivery_tag, generation: generation))
    }

    /// The delivery's `traceparent` header; nil when absent or not a valid one (a
    /// producer's bad header never stops the message).
    private static func traceParent(of envelope: inout amqp_envelope_t) -> TraceParent? {
        var buffer = [CChar](repeating: 0, count: 64)
        let length = buffer.withUnsafeMutableBufferPointer { out in
            cloudtask_amqp_header(&envelope, "traceparent", out.baseAddress, out.count)
        }
        guard length == 55 else { return nil }
        return TraceParent(header: String(decoding: buffer[0..<55].map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}
