import Application
public import Domain
import Foundation
public import Logging
import Metrics
public import Ports
public import ServiceLifecycle
import Telemetry
import Tracing

/// The broker's ports on RabbitMQ (the queue contract of docs/architecture.md and
/// docs/messages.md): one publishing connection shared by the outbox relay and the
/// executor's reports, and one consuming connection per subscription.
///
/// Consumers dead-letter (reject without requeue) what they cannot parse and carry on.
/// Reports (`JobEvent`) are coalesced (`ReportCoalescer`): those made while a publish
/// waits for its confirmation share the next message; one that cannot be published is
/// retried for `reportPatience` before it fails. Outbox batches fail at once: they stay
/// in the outbox and the relay tries again. A `job.reports` message is handed to the
/// results processor part by part and settled once all its parts are (`PartSettlement`).
public final class RabbitMQJobQueue: OutboxPublisher, JobEventPublisher, JobDispatchSource, JobEventSource, StopRequestSource,
    Service
{
    private let settings: AMQPSettings
    private let publisher: AMQPPublisher
    private let reports: ReportCoalescer
    private let logger: Logger

    public init(settings: AMQPSettings, reportPatience: Duration = .seconds(30), logger: Logger) {
        self.settings = settings
        self.logger = logger
        publisher = AMQPPublisher(settings: settings, logger: logger)
        reports = ReportCoalescer(
            publisher: publisher, exchange: settings.namePrefix + "cloudtask.jobs", patience: reportPatience)
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
        // A traced dispatch is published in a span of its own, a child of the job's
        // request; that span's context rides in the message's `traceparent` header, so
        // the worker's run is its child (docs/tracing.md).
        let spans = messages.map { message -> (any Span)? in
            guard case .dispatch(let dispatch) = message, let trace = dispatch.trace else { return nil }
            let span = Telemetry.startSpan("publish job.created", continuing: trace, ofKind: .producer)
            span?.updateAttributes { attributes in
                attributes["messaging.system"] = "rabbitmq"
                attributes["messaging.destination.name"] = jobsExchange
                attributes["messaging.message.id"] = dispatch.eventID.uuidString.lowercased()
                attributes["cloudtask.job_id"] = dispatch.jobID.description
                attributes["cloudtask.attempt"] = dispatch.attempt
            }
            return span
        }
        let wire = zip(messages, spans).map { message, span -> AMQPMessage in
            switch message {
            case .dispatch(let dispatch):
                AMQPMessage(
                    exchange: jobsExchange, routingKey: "job.created", body: JobMessageCodec.encode(dispatch),
                    type: "job.created", messageID: dispatch.eventID.uuidString.lowercased(), priority: dispatch.priority,
                    traceParent: span.flatMap { Telemetry.traceParent(of: $0.context) } ?? dispatch.trace)
            case .stop(let stop):
                AMQPMessage(
                    exchange: settings.namePrefix + "cloudtask.control", routingKey: "", body: JobMessageCodec.encode(stop),
                    type: "job.stop", messageID: stop.eventID.uuidString.lowercased(),
                    // A stop while no worker is connected reaches no queue, and that is
                    // fine (the stop marker refuses a later dispatch); as mandatory it
                    // would come back and fail the batch, holding up the whole outbox.
                    mandatory: false)
            }
        }
        do {
            let started = ContinuousClock.now
            try await publisher.publish(wire)
            Timer(label: MetricNames.queuePublishSeconds, dimensions: [("kind", "outbox")]).record(
                duration: ContinuousClock.now - started)
            for span in spans { span?.end() }
        } catch {
            for span in spans {
                span?.setStatus(SpanStatus(code: .error, message: "the broker did not confirm it"))
                span?.end()
            }
            throw PortError.unavailable
        }
    }

    public func publish(_ event: JobEvent) async throws {
        try await Telemetry.withChildSpan("publish \(JobMessageCodec.type(of: event))", ofKind: .producer) { span in
            span?.attributes["messaging.system"] = "rabbitmq"
            span?.attributes["cloudtask.job_id"] = event.jobID.description
            try await reports.publish(event)
        }
    }

    public func dispatches(prefetch: Int) async throws -> Intake<JobDispatch> {
        subscribe(queue: settings.namePrefix + "jobs.created", prefetch: prefetch) {
            delivery throws(JobMessageCodec.DecodingError) in
            // The header names the relay's span; the body, the request's (when the
            // relay did not trace). Either way the run joins the job's trace.
            [.success(try JobMessageCodec.decodeDispatch(delivery.body).continuing(delivery.traceParent))]
        }
    }

    public func events(prefetch: Int) async throws -> Intake<JobEvent> {
        let exchange = jobsExchange
        return subscribe(
            queue: settings.namePrefix + "jobs.completed", prefetch: prefetch,
            decode: { delivery throws(JobMessageCodec.DecodingError) in
                guard delivery.routingKey == JobMessageCodec.reportsType else {
                    return [.success(try JobMessageCodec.decodeEvent(delivery.body))]
                }
                return try JobMessageCodec.decodeReports(delivery.body)
            },
            reencode: { events in ReportCoalescer.messages(for: events, exchange: exchange) })
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

    /// A consumer's intake. `decode` turns a message into its parts (one, or the parts of
    /// a `job.reports`): a message that cannot be decoded at all is dead-lettered; a part
    /// that cannot is set aside while the others are handed out. `reencode` publishes
    /// the parts a consumer handed back when others of the same message were settled.
    private func subscribe<Message: Sendable>(
        queue: String, prefetch: Int,
        decode:
            @escaping @Sendable (AMQPDelivery) throws(JobMessageCodec.DecodingError) -> [Result<
                Message, JobMessageCodec.DecodingError
            >],
        reencode: (@Sendable ([Message]) -> [AMQPMessage])? = nil
    ) -> Intake<Message> {
        let consumer = AMQPConsumer(settings: settings, queue: queue, prefetch: prefetch, logger: logger)
        let stream = AsyncThrowingStream<Delivery<Message>, any Error> { continuation in
            let pump = Task {
                for await delivery in consumer.deliveries {
                    let parts: [Result<Message, JobMessageCodec.DecodingError>]
                    do {
                        parts = try decode(delivery)
                    } catch {
                        await deadLetter(delivery, from: consumer, queue: queue, reason: "cannot be decoded: \(error)")
                        continue
                    }
                    if parts.count == 1, case .success(let message) = parts[0] {
                        continuation.yield(
                            Delivery(message: message, redelivered: delivery.redelivered) { [self] settlement in
                                await settle(delivery, settlement, from: consumer, queue: queue)
                            })
                        continue
                    }
                    let settlement = PartSettlement(parts: parts) { [self] outcomes in
                        await settleParts(delivery, outcomes, from: consumer, queue: queue, reencode: reencode)
                    }
                    for (index, part) in parts.enumerated() {
                        switch part {
                        case .success(let message):
                            continuation.yield(
                                Delivery(message: message, redelivered: delivery.redelivered) { how in
                                    await settlement.settle(index, how)
                                })
                        case .failure(let error):
                            await settlement.settle(index, .reject(reason: "cannot be decoded: \(error)"))
                        }
                    }
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

    private func settle(
        _ delivery: AMQPDelivery, _ settlement: Delivery<some Sendable>.Settlement, from consumer: AMQPConsumer, queue: String
    ) async {
        switch settlement {
        case .ack: consumer.settle(delivery, .ack)
        case .requeue: consumer.settle(delivery, .requeue)
        case .reject(let reason): await deadLetter(delivery, from: consumer, queue: queue, reason: reason)
        }
    }

    /// Settles a message of several parts once every part is settled. All handed back:
    /// the message is requeued. Some handed back: those parts are published again as a
    /// message of their own (confirmed) before the original is settled; if that fails the
    /// whole message is requeued (its other parts are then applied twice, which applying
    /// tolerates). Parts set aside are named in the reason of one dead-lettered copy.
    private func settleParts<Message>(
        _ delivery: AMQPDelivery, _ outcomes: [PartSettlement<Message>.Outcome], from consumer: AMQPConsumer,
        queue: String, reencode: (@Sendable ([Message]) -> [AMQPMessage])?
    ) async {
        let handedBack = outcomes.compactMap { outcome -> Message? in
            if case .requeue(let message) = outcome { message } else { nil }
        }
        if handedBack.count == outcomes.count {
            consumer.settle(delivery, .requeue)
            return
        }
        if !handedBack.isEmpty {
            guard let reencode, (try? await publisher.publish(reencode(handedBack))) != nil else {
                consumer.settle(delivery, .requeue)
                return
            }
        }
        let reasons = outcomes.enumerated().compactMap { index, outcome -> String? in
            if case .reject(let reason) = outcome { "part \(index + 1) of \(outcomes.count): \(reason)" } else { nil }
        }
        if reasons.isEmpty {
            consumer.settle(delivery, .ack)
        } else {
            await deadLetter(delivery, from: consumer, queue: queue, reason: reasons.joined(separator: "; "))
        }
    }
}
