import Domain
import Foundation
import Infrastructure
import Ports
import Testing

/// A worker's reports share messages (`job.reports`) under load, and the results
/// processor still settles each report on its own.
@Suite("RabbitMQ adapter: coalesced reports", .enabled(if: RabbitMQFixture.url != nil))
struct RabbitMQReportBatchTests {
    static func report(_ job: JobID = JobID(UUID()), _ kind: JobEvent.Kind = .started) -> JobEvent {
        JobEvent(
            eventID: UUID(), jobID: job, attempt: 1, workerID: "w-1", occurredAt: Date(timeIntervalSince1970: 1_800_000_000.25),
            kind: kind)
    }

    @Test("reports made at once go out in fewer messages than reports, and each arrives once")
    func coalesced() async throws {
        let settings = try #require(RabbitMQFixture.settings())
        let queue = RabbitMQJobQueue(settings: settings, logger: RabbitMQFixture.logger)
        defer { Task { await queue.close() } }
        // The topology exists once the publisher has connected.
        let first = Self.report()
        try await RabbitMQAdapterTests.eventually { try await queue.publish(first) }
        let reports = (0..<200).map { _ in Self.report() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for report in reports { group.addTask { try await queue.publish(report) } }
            try await group.waitForAll()
        }
        let raw = AMQPConsumer(
            settings: settings, queue: settings.namePrefix + "jobs.completed", prefetch: 500, logger: RabbitMQFixture.logger)
        defer { raw.close() }
        var messages = 0
        var received: [JobEvent] = []
        var iterator = raw.deliveries.makeAsyncIterator()
        while received.count < 201, let delivery = await iterator.next() {
            messages += 1
            if delivery.routingKey == "job.reports" {
                received += try JobMessageCodec.decodeReports(delivery.body).map { try $0.get() }
            } else {
                received.append(try JobMessageCodec.decodeEvent(delivery.body))
            }
            raw.settle(delivery, .ack)
        }
        #expect(Set(received.map(\.eventID)) == Set(([first] + reports).map(\.eventID)))
        #expect(received.count == 201)
        #expect(messages < 100, "201 reports made at once took \(messages) messages")
    }

    @Test(
        "a job.reports is handed out part by part: a malformed part is dead-lettered with its place, a part handed back comes back alone, an acknowledged one does not"
    )
    func partsSettledAlone() async throws {
        let (settings, queue, raw) = try RabbitMQFixture.queueAndPublisher()
        defer { RabbitMQFixture.close(queue, raw) }
        let kept = Self.report()
        let handedBack = Self.report(JobID(UUID()), .output(OutputChunk(stdout: "again")))
        func part(_ event: JobEvent) -> String { String(decoding: JobMessageCodec.encode(event), as: UTF8.self) }
        let malformed = #"{"type":"job.finished","version":1}"#
        let body = Array(
            #"{"type":"job.reports","version":1,"reports":[\#(part(kept)),\#(malformed),\#(part(handedBack))]}"#.utf8)
        // Subscribe first: the consumer's connection declares the topology.
        var deliveries = try await queue.events(prefetch: 10).makeAsyncIterator()
        try await RabbitMQAdapterTests.eventually {
            try await raw.publish([
                AMQPMessage(
                    exchange: settings.namePrefix + "cloudtask.jobs", routingKey: "job.reports", body: body,
                    type: "job.reports", messageID: "batch")
            ])
        }
        let one = try #require(try await deliveries.next())
        let two = try #require(try await deliveries.next())
        #expect([one.message, two.message] == [kept, handedBack])
        try await one.ack()
        try await two.requeue()
        let again = try #require(try await deliveries.next())
        #expect(again.message == handedBack)
        try await again.ack()

        let letter = try #require(await RabbitMQFixture.nextDeadLetter(settings))
        #expect(letter.body == body && letter.routingKey == "job.reports")

        // Nothing else comes: the acknowledged part is not delivered again.
        let probe = Self.report()
        try await queue.publish(probe)
        let next = try #require(try await deliveries.next())
        #expect(next.message == probe)
        try await next.ack()
    }
}
