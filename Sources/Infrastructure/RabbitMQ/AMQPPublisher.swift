import CRabbitMQ
import Dispatch
public import Domain
import Foundation
public import Logging
import Synchronization

/// One message to publish: persistent JSON, confirmed by the broker.
public struct AMQPMessage: Sendable {
    public let exchange: String
    public let routingKey: String
    public let body: [UInt8]
    /// The AMQP `type` property (`job.created`, `job.finished` …).
    public let type: String
    public let messageID: String
    public let priority: Int
    /// Why a message is being set aside (published to the dead-letter exchange), sent in
    /// the header `x-cloudtask-dead-reason`; nil for every other message.
    public let deadReason: String?
    /// The W3C trace context, sent in the header `traceparent` (docs/tracing.md).
    public let traceParent: TraceParent?
    /// Whether the broker must route it somewhere (`mandatory`): an unroutable message
    /// then comes back and the publish fails. Off only for broadcasts that may
    /// legitimately reach no one (a stop while no worker is connected).
    public let mandatory: Bool

    public init(
        exchange: String, routingKey: String, body: [UInt8], type: String, messageID: String, priority: Int = 0,
        deadReason: String? = nil, traceParent: TraceParent? = nil, mandatory: Bool = true
    ) {
        self.traceParent = traceParent
        self.mandatory = mandatory
        self.exchange = exchange
        self.routingKey = routingKey
        self.body = body
        self.type = type
        self.messageID = messageID
        self.priority = priority
        self.deadReason = deadReason
    }
}

/// A publishing connection owned by one thread of its own (librabbitmq is not
/// thread-safe). Callers hand batches over with a continuation; the thread publishes a
/// batch, waits once for the broker's confirmations of all of it, and resumes the
/// caller: a batch "is sent" only once confirmed. Idle, the thread services heartbeats.
/// It connects lazily, reconnects with backoff (0.5 s doubling to 10 s), and while it
/// has no connection it fails batches at once, so callers can fall back or retry.
public final class AMQPPublisher: Sendable {
    private struct Request {
        let messages: [AMQPMessage]
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var requests: [Request] = []
        var closed = false
        var connected = false
        /// The thread has ended; who waits for that (`close()`).
        var exited = false
        var exitWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let settings: AMQPSettings
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let logger: Logger

    public init(settings: AMQPSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        let thread = Thread { [self] in run() }
        thread.name = "amqp-publisher"
        thread.start()
    }

    /// Whether the thread holds a live connection right now.
    public var isConnected: Bool { state.withLock { $0.connected } }

    /// Publishes the batch; returns once the broker confirmed every message.
    public func publish(_ messages: [AMQPMessage]) async throws {
        guard !messages.isEmpty else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let accepted = state.withLock { state in
                guard !state.closed else { return false }
                state.requests.append(Request(messages: messages, continuation: continuation))
                return true
            }
            if accepted { wake.signal() } else { continuation.resume(throwing: AMQPError.closed) }
        }
    }

    /// Stops the thread (pending batches fail), closes the connection, and returns once
    /// the thread has ended. It suspends the caller; it never blocks a thread.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let exited = state.withLock { state in
                state.closed = true
                if !state.exited { state.exitWaiters.append(continuation) }
                return state.exited
            }
            if exited { continuation.resume() } else { wake.signal() }
        }
    }

    private func run() {
        var connection: AMQPConnection?
        var nextTag: UInt64 = 1
        var failures = 0
        var retryAt = ContinuousClock.now
        while true {
            if connection == nil, ContinuousClock.now >= retryAt, !state.withLock({ $0.closed }) {
                do {
                    let opened = try AMQPConnection(settings)
                    try opened.check { cloudtask_amqp_confirm_select(opened.state, $0, $1) }
                    connection = opened
                    nextTag = 1
                    if failures > 0 { logger.notice("RabbitMQ publisher connected again") }
                    failures = 0
                } catch {
                    failures += 1
                    if failures == 1 {
                        logger.warning(
                            "RabbitMQ publisher cannot connect; retrying with backoff", metadata: ["error": "\(error)"])
                    }
                    retryAt = ContinuousClock.now + min(.seconds(10), .milliseconds(500) * (1 << min(failures - 1, 5)))
                }
                state.withLock { $0.connected = connection != nil }
            }
            _ = wake.wait(timeout: .now() + .milliseconds(connection == nil ? 100 : 1000))
            let (requests, closed) = state.withLock { state in
                defer { state.requests.removeAll() }
                return (state.requests, state.closed)
            }
            var pending = requests
            if closed || connection == nil {
                let error = closed ? AMQPError.closed : AMQPError.connection("not connected to RabbitMQ")
                for request in pending { request.continuation.resume(throwing: error) }
                pending = []
            }
            // Everything that queued up while the last batch was confirmed goes out
            // together, with one wait for all its confirmations: fewer round trips for the
            // same guarantees. If the broker refuses any of it, which message is not known:
            // each request is then published again on its own (a copy already accepted
            // is a duplicate, which every consumer tolerates).
            if pending.count > 1, let live = connection {
                let messages = pending.flatMap(\.messages)
                do {
                    try publish(messages, on: live, firstTag: nextTag)
                    nextTag += UInt64(messages.count)
                    for request in pending { request.continuation.resume() }
                    pending = []
                } catch .refused {
                    nextTag += UInt64(messages.count)
                } catch {
                    lost(error, &connection)
                    for request in pending { request.continuation.resume(throwing: error) }
                    pending = []
                }
            }
            for request in pending {
                guard let live = connection else {
                    request.continuation.resume(throwing: AMQPError.connection("not connected to RabbitMQ"))
                    continue
                }
                do {
                    try publish(request.messages, on: live, firstTag: nextTag)
                    nextTag += UInt64(request.messages.count)
                    request.continuation.resume()
                } catch .refused {
                    nextTag += UInt64(request.messages.count)
                    request.continuation.resume(throwing: AMQPError.refused)
                } catch {
                    lost(error, &connection)
                    request.continuation.resume(throwing: error)
                }
            }
            if closed { break }
            if requests.isEmpty, let live = connection {
                do {
                    try live.check { cloudtask_amqp_service(live.state, $0, $1) }
                } catch {
                    logger.warning("RabbitMQ publisher lost its connection", metadata: ["error": "\(error)"])
                    connection = nil
                    state.withLock { $0.connected = false }
                }
            }
        }
        connection = nil
        let waiters = state.withLock { state in
            state.exited = true
            defer { state.exitWaiters.removeAll() }
            return state.exitWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    private func lost(_ error: AMQPError, _ connection: inout AMQPConnection?) {
        logger.warning("RabbitMQ publisher lost its connection", metadata: ["error": "\(error)"])
        connection = nil
        state.withLock { $0.connected = false }
    }

    private static func withOptionalCString<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
        guard let text else { return body(nil) }
        return text.withCString { body($0) }
    }

    /// Publishes every message, then waits once for all their confirmations.
    private func publish(_ messages: [AMQPMessage], on connection: AMQPConnection, firstTag: UInt64) throws(AMQPError) {
        for message in messages {
            try connection.check { error, size in
                message.body.withUnsafeBytes { body in
                    Self.withOptionalCString(message.deadReason) { reason in
                        Self.withOptionalCString(message.traceParent?.header) { traceParent in
                            cloudtask_amqp_publish(
                                connection.state, message.exchange, message.routingKey, body.baseAddress, body.count,
                                message.type, message.messageID, Int32(message.priority), reason, traceParent,
                                message.mandatory ? 1 : 0, error, size)
                        }
                    }
                }
            }
        }
        var error = AMQPErrorBuffer()
        let last = firstTag + UInt64(messages.count) - 1
        let status = error.withPointer { pointer, size in
            cloudtask_amqp_wait_confirms(connection.state, firstTag, last, settings.timeoutMillis, pointer, size)
        }
        switch status {
        case 0: return
        case 1: throw .refused
        default: throw .connection(error.text)
        }
    }
}
