import Application
public import Domain
import Foundation
public import Logging
import Metrics
public import Ports
public import ServiceLifecycle

/// The broker's ports on RabbitMQ (the queue contract of docs/architecture.md and
/// docs/messages.md): one publishing connection shared by the outbox relay and the
/// executor's reports, and one consuming connection per subscription.
///
/// Consumers dead-letter (reject without requeue) what they cannot parse and carry on.
/// A report (`JobEvent`) that cannot be published is retried for `reportPatience`
/// before it fails: the run it reports already happened, and running it again because
/// the broker blinked would be waste. Outbox batches fail at once: they stay in the
/// outbox and the relay tries again.
public final class RabbitMQJobQueue: OutboxPublisher, JobEventPublisher, JobDispatchSource, JobEventSource, StopRequestSource,
    Service
{
    private let settings: AMQPSettings
    private let publisher: AMQPPublisher
    private let reportPatience: Duration
    private let logger: Logger

    public init(settings: AMQPSettings, reportPatience: Duration = .seconds(30), logger: Logger) {
        self.settings = settings
        self.reportPatience = reportPatience
        self.logger = logger
        publisher = AMQPPublisher(settings: settings, logger: logger)
    }

    /// Whether the publishing connection is up (readiness).
    public var isConnected: Bool { publisher.isConnected }

    /// Closes the publishing connection and ends its thread (consumers close when their
    /// streams end). Suspends until the thread is gone; blocks none.
    public func close() async { await publisher.close() }

    /// The queue's lifecycle in a service group: it runs until the group shuts down
    /// (put it before the services that use it: a group stops services in reverse
    /// order), then ends the publishing thread.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    private var jobsExchange: String { settings.namePrefix + "cloudtask.jobs" }

    public func publish(_ messages: [OutboxMessage]) async throws {
        let wire = messages.map { message -> AMQPMessage in
            switch message {
            case .dispatch(let dispatch):
                AMQPMessage(
                    exchange: jobsExchange, routingKey: "job.created", body: JobMessageCodec.encode(dispatch),
                    type: "job.created", messageID: dispatch.eventID.uuidString.lowercased(), priority: dispatch.priority)
            case .stop(let stop):
                AMQPMessage(
                    exchange: settings.namePrefix + "cloudtask.control", routingKey: "", body: JobMessageCodec.encode(stop),
                    type: "job.stop", messageID: stop.eventID.uuidString.lowercased())
            }
        }
        do {
            let started = ContinuousClock.now
            try await publisher.publish(wire)
            Timer(label: MetricNames.queuePublishSeconds, dimensions: [("kind", "outbox")]).record(
                duration: ContinuousClock.now - started)
        } catch {
            throw PortError.unavailable
        }
    }

    public func publish(_ event: JobEvent) async throws {
        let type = JobMessageCodec.type(of: event)
        let message = AMQPMessage(
            exchange: jobsExchange, routingKey: type, body: JobMessageCodec.encode(event), type: type,
            messageID: event.eventID.uuidString.lowercased())
        let deadline = ContinuousClock.now + reportPatience
        while true {
            do {
                let started = ContinuousClock.now
                try await publisher.publish([message])
                Timer(label: MetricNames.queuePublishSeconds, dimensions: [("kind", "report")]).record(
                    duration: ContinuousClock.now - started)
                return
            } catch {
                guard ContinuousClock.now < deadline, !Task.isCancelled else { throw PortError.unavailable }
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    public func dispatches(prefetch: Int) async throws -> Intake<JobDispatch> {
        subscribe(queue: settings.namePrefix + "jobs.created", prefetch: prefetch, decode: JobMessageCodec.decodeDispatch)
    }

    public func events(prefetch: Int) async throws -> Intake<JobEvent> {
        subscribe(queue: settings.namePrefix + "jobs.completed", prefetch: prefetch, decode: JobMessageCodec.decodeEvent)
    }

    public func stopRequests() async throws -> AsyncThrowingStream<StopRequest, any Error> {
        let consumer = AMQPConsumer(settings: settings, queue: nil, prefetch: 100, logger: logger)
        // The control queue exists only once subscribed: wait for that (within the
        // timeout), so that a stop published right after this returns is not missed.
        let deadline = ContinuousClock.now + settings.timeout
        while !consumer.isConnected && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let logger = self.logger
        return AsyncThrowingStream { continuation in
            let pump = Task {
                for await delivery in consumer.deliveries {
                    // A stop is a hint (the stop marker and the job row are the truth): ack it at once.
                    consumer.settle(delivery, .ack)
                    do {
                        continuation.yield(try JobMessageCodec.decodeStop(delivery.body))
                    } catch {
                        logger.warning("ignored a malformed control message", metadata: ["error": "\(error)"])
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in
                consumer.close()
                pump.cancel()
            }
        }
    }

    /// Sets a message aside on the dead-letter exchange with its reason in a header
    /// (a confirmed copy, then an ack of the original), so an operator reading
    /// `jobs.dead` sees why. When the copy cannot be published the message is rejected
    /// instead: the broker dead-letters it without the reason, and the log keeps it.
    private func deadLetter(_ delivery: AMQPDelivery, from consumer: AMQPConsumer, queue: String, reason: String) async {
        let reason = WireBounds.prefix(reason, bytes: 1024)
        logger.warning("dead-lettered a message", metadata: ["queue": "\(queue)", "reason": "\(reason)"])
        Counter(label: MetricNames.messagesDeadLettered, dimensions: [("queue", queue)]).increment()
        let copy = AMQPMessage(
            exchange: settings.namePrefix + "cloudtask.dead", routingKey: delivery.routingKey, body: delivery.body,
            type: String(delivery.routingKey.prefix(64)), messageID: UUID().uuidString.lowercased(), deadReason: reason)
        do {
            try await publisher.publish([copy])
            consumer.settle(delivery, .ack)
        } catch {
            consumer.settle(delivery, .reject)
        }
    }

    private func subscribe<Message: Sendable>(
        queue: String, prefetch: Int, decode: @escaping @Sendable ([UInt8]) throws(JobMessageCodec.DecodingError) -> Message
    ) -> Intake<Message> {
        let consumer = AMQPConsumer(settings: settings, queue: queue, prefetch: prefetch, logger: logger)
        let stream = AsyncThrowingStream<Delivery<Message>, any Error> { continuation in
            let pump = Task {
                for await delivery in consumer.deliveries {
                    let message: Message
                    do {
                        message = try decode(delivery.body)
                    } catch {
                        await deadLetter(delivery, from: consumer, queue: queue, reason: "cannot be decoded: \(error)")
                        continue
                    }
                    continuation.yield(
                        Delivery(message: message, redelivered: delivery.redelivered) { [self] settlement in
                            switch settlement {
                            case .ack: consumer.settle(delivery, .ack)
                            case .requeue: consumer.settle(delivery, .requeue)
                            case .reject(let reason): await deadLetter(delivery, from: consumer, queue: queue, reason: reason)
                            }
                        })
                }
                continuation.finish()
            }
            continuation.onTermination = { termination in
                // Finished after `stopIntake`: the consumer closes itself once the last
                // delivery is settled. Cancelled: close now; the broker takes back the rest.
                if case .cancelled = termination {
                    consumer.close()
                    pump.cancel()
                }
            }
        }
        return Intake(stream, stopIntake: { consumer.stopIntake() })
    }
}
