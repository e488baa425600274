import Domain
import Foundation
import Infrastructure
import Ports
import Testing

/// What only the RabbitMQ adapter has: dead-lettering what cannot be parsed, the wire
/// format as other workers see it, and TLS with certificate verification.
@Suite("RabbitMQ adapter", .enabled(if: RabbitMQFixture.url != nil))
struct RabbitMQAdapterTests {
    @Test("a malformed message is dead-lettered and the consumer carries on")
    func deadLetter() async throws {
        let (settings, queue, raw) = try RabbitMQFixture.queueAndPublisher()
        defer { RabbitMQFixture.close(queue, raw) }
        let garbage = Array(#"{"type":"job.created","version":1,"nonsense":true}"#.utf8)
        try await raw.publish([
            AMQPMessage(
                exchange: settings.namePrefix + "cloudtask.jobs", routingKey: "job.created",
                body: garbage, type: "job.created", messageID: "bad")
        ])
        let dispatch = JobQueueContract.dispatch(priority: 0)
        try await queue.publish([.dispatch(dispatch)])
        var deliveries = try await queue.dispatches(prefetch: 5).makeAsyncIterator()
        let good = try #require(try await deliveries.next())
        #expect(good.message == dispatch)
        try await good.ack()

        let letter = try #require(await RabbitMQFixture.nextDeadLetter(settings))
        #expect(letter.body == garbage)
    }

    @Test("a dispatch's `traceparent` header names the span that caused its run, over the request's in the body")
    func traceHeader() async throws {
        let (settings, queue, raw) = try RabbitMQFixture.queueAndPublisher()
        defer { RabbitMQFixture.close(queue, raw) }
        let request = try #require(TraceParent(header: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        let relay = try #require(TraceParent(traceID: request.traceID, spanID: "1111111111111111", sampled: true))
        let inBody = JobQueueContract.dispatch(priority: 0).continuing(request)
        let headerOnly = JobQueueContract.dispatch(priority: 0)
        let untraced = JobQueueContract.dispatch(priority: 0)
        let exchange = settings.namePrefix + "cloudtask.jobs"
        func message(_ dispatch: JobDispatch, header: TraceParent?) -> AMQPMessage {
            AMQPMessage(
                exchange: exchange, routingKey: "job.created", body: JobMessageCodec.encode(dispatch), type: "job.created",
                messageID: dispatch.eventID.uuidString, traceParent: header)
        }
        try await raw.publish([
            message(inBody, header: relay), message(headerOnly, header: relay), message(untraced, header: nil),
            message(inBody, header: nil),
        ])
        var deliveries = try await queue.dispatches(prefetch: 5).makeAsyncIterator()
        var received: [JobDispatch] = []
        for _ in 0..<4 {
            let delivery = try #require(try await deliveries.next())
            received.append(delivery.message)
            try await delivery.ack()
        }
        #expect(received.map(\.trace) == [relay, relay, nil, request])
        #expect(received.map(\.jobID) == [inBody.jobID, headerOnly.jobID, untraced.jobID, inBody.jobID])
    }

    @Test("publishes made at once go out together and each is confirmed; one the broker refuses fails alone")
    func batchedConfirms() async throws {
        let settings = try #require(RabbitMQFixture.settings())
        let publisher = AMQPPublisher(settings: settings, logger: RabbitMQFixture.logger)
        defer { Task { await publisher.close() } }
        let exchange = settings.namePrefix + "cloudtask.jobs"
        func message(_ key: String, _ n: Int) -> AMQPMessage {
            AMQPMessage(exchange: exchange, routingKey: key, body: Array("{\"n\":\(n)}".utf8), type: key, messageID: "m\(n)")
        }
        // The topology exists once the publisher has connected.
        try await Self.eventually { try await publisher.publish([message("job.started", 0)]) }
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            for n in 1...40 {
                // Every tenth is unroutable (no queue is bound to it): returned, so refused.
                let key = n % 10 == 0 ? "nothing.bound.here" : "job.started"
                group.addTask { (n, (try? await publisher.publish([message(key, n)])) != nil) }
            }
            var outcomes: [Int: Bool] = [:]
            for await (n, ok) in group { outcomes[n] = ok }
            return outcomes
        }
        #expect(outcomes.count == 40)
        #expect(outcomes.filter { !$0.value }.keys.sorted() == [10, 20, 30, 40])
        // The 37 accepted (and the first) are in the queue, each at least once.
        let consumer = AMQPConsumer(
            settings: settings, queue: settings.namePrefix + "jobs.completed", prefetch: 100, logger: RabbitMQFixture.logger)
        defer { consumer.close() }
        var seen = Set<String>()
        var iterator = consumer.deliveries.makeAsyncIterator()
        while seen.count < 37, let delivery = await iterator.next() {
            seen.insert(String(decoding: delivery.body, as: UTF8.self))
            consumer.settle(delivery, .ack)
        }
        #expect(seen.count == 37 && !seen.contains(#"{"n":10}"#))
    }

    @Test("messages on the wire are the JSON of docs/messages.md")
    func wireFormat() async throws {
        let settings = try #require(RabbitMQFixture.settings())
        let queue = RabbitMQJobQueue(settings: settings, logger: RabbitMQFixture.logger)
        defer { Task { await queue.close() } }
        let job = JobID(UUID())
        let event = JobEvent(
            eventID: UUID(), jobID: job, attempt: 2, workerID: "w-1", occurredAt: Date(timeIntervalSince1970: 1_800_000_000.25),
            kind: .finished(
                .failed(exitCode: 3, failure: JobFailure(code: .nonzeroExit, message: "exit 3")),
                output: OutputChunk(stdout: "out", stdoutOffset: 4)))
        try await queue.publish(event)
        let raw = AMQPConsumer(
            settings: settings, queue: settings.namePrefix + "jobs.completed", prefetch: 1, logger: RabbitMQFixture.logger)
        defer { raw.close() }
        var iterator = raw.deliveries.makeAsyncIterator()
        let delivery = try #require(await iterator.next())
        raw.settle(delivery, .ack)
        #expect(delivery.routingKey == "job.finished")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(delivery.body)) as? [String: Any])
        #expect(json["type"] as? String == "job.finished" && json["version"] as? Int == 1)
        #expect(
            json["job_id"] as? String == job.description && json["attempt"] as? Int == 2 && json["worker_id"] as? String == "w-1")
        #expect(json["occurred_at"] as? String == "2027-01-15T08:00:00.250Z")
        #expect(json["outcome"] as? String == "failed" && json["exit_code"] as? Int == 3)
        #expect((json["failure"] as? [String: Any])?["code"] as? String == "nonzero_exit")
        let output = try #require(json["output"] as? [String: Any])
        #expect(output["stdout"] as? String == "out" && output["stdout_offset"] as? Int == 4)
        #expect(try JobMessageCodec.decodeEvent(delivery.body) == event)
    }

    @Test(
        "amqps: a server certificate signed by the configured CA is accepted; another CA is refused",
        .enabled(if: ProcessInfo.processInfo.environment["CLOUDTASK_TEST_AMQPS_URL"] != nil))
    func tls() async throws {
        let environment = ProcessInfo.processInfo.environment
        let url = try AMQPURL(try #require(environment["CLOUDTASK_TEST_AMQPS_URL"]))
        #expect(url.tls)
        let directory = try #require(environment["CLOUDTASK_TEST_TLS_DIR"])
        let prefix = "tls-\(UUID().uuidString.prefix(8))."
        let trusted = AMQPPublisher(
            settings: AMQPSettings(url: url, caFile: directory + "/ca.pem", namePrefix: prefix),
            logger: RabbitMQFixture.logger)
        defer { Task { await trusted.close() } }
        let message = AMQPMessage(
            exchange: prefix + "cloudtask.jobs", routingKey: "job.started", body: Array("{}".utf8),
            type: "job.started", messageID: "m")
        try await Self.eventually { try await trusted.publish([message]) }

        let wrong = AMQPPublisher(
            settings: AMQPSettings(url: url, caFile: directory + "/other-ca.pem", namePrefix: prefix),
            logger: RabbitMQFixture.logger)
        defer { Task { await wrong.close() } }
        try await Task.sleep(for: .seconds(1))
        #expect(wrong.isConnected == false)
        await #expect(throws: (any Error).self) { try await wrong.publish([message]) }
    }

    /// Retries while the publisher's thread is still connecting (it connects lazily).
    static func eventually(_ body: () async throws -> Void) async throws {
        for _ in 0..<50 {
            do { return try await body() } catch { try await Task.sleep(for: .milliseconds(100)) }
        }
        try await body()
    }
}
