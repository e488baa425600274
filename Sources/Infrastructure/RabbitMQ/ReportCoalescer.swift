import Application
import Domain
import Foundation
import Metrics
import Ports

/// A worker's reports on their way to the broker, coalesced: the reports made while one
/// publish waits for its confirmation go out together in the next, as `job.reports`
/// messages (docs/messages.md). A lone report waits for nobody and goes out as the single
/// message it always was. Every report is still confirmed before its caller returns, so
/// the executor's order (started, output, finished; the ack of a dispatch after its
/// outcome is confirmed) is what it was with one message per report.
///
/// A publish that fails is retried for `patience` (the run it reports already happened;
/// running it again because the broker blinked would be waste), then every report in it
/// fails with `PortError.unavailable`.
final class ReportCoalescer: Sendable {
    /// Output text per message, at most (a part larger than this goes alone), so that no
    /// message approaches a consumer's size bound however many parts it has.
    static let maxMessageOutputBytes = 1 << 20

    private let queue: BatchingQueue<JobEvent, Bool>

    init(publisher: AMQPPublisher, exchange: String, patience: Duration) {
        let send: @Sendable ([JobEvent]) async -> Bool = { events in
            await Self.publish(Self.messages(for: events, exchange: exchange), on: publisher, patience: patience)
        }
        queue = BatchingQueue(
            maxBatch: 4096,
            batch: { events in Array(repeating: await send(events), count: events.count) },
            single: { event in await send([event]) })
    }

    func publish(_ event: JobEvent) async throws {
        guard try await queue.submit(event) else { throw PortError.unavailable }
    }

    /// The messages that carry `events` in order: single reports as themselves, runs of
    /// several as `job.reports` of at most `maxReportsPerMessage` parts and about
    /// `maxMessageOutputBytes` of output.
    static func messages(for events: [JobEvent], exchange: String) -> [AMQPMessage] {
        var groups: [[JobEvent]] = []
        var bytes = 0
        for event in events {
            let size = event.outputBytes
            if let last = groups.last, last.count < JobMessageCodec.maxReportsPerMessage,
                bytes + size <= maxMessageOutputBytes
            {
                groups[groups.count - 1].append(event)
                bytes += size
            } else {
                groups.append([event])
                bytes = size
            }
        }
        return groups.map { group in
            if group.count == 1 {
                let type = JobMessageCodec.type(of: group[0])
                return AMQPMessage(
                    exchange: exchange, routingKey: type, body: JobMessageCodec.encode(group[0]), type: type,
                    messageID: group[0].eventID.uuidString.lowercased())
            }
            return AMQPMessage(
                exchange: exchange, routingKey: JobMessageCodec.reportsType, body: JobMessageCodec.encodeReports(group),
                type: JobMessageCodec.reportsType, messageID: group[0].eventID.uuidString.lowercased())
        }
    }

    private static func publish(_ messages: [AMQPMessage], on publisher: AMQPPublisher, patience: Duration) async -> Bool {
        let deadline = ContinuousClock.now + patience
        while true {
            do {
                let started = ContinuousClock.now
                try await publisher.publish(messages)
                Timer(label: MetricNames.queuePublishSeconds, dimensions: [("kind", "report")]).record(
                    duration: ContinuousClock.now - started)
                return true
            } catch {
                // Closed: the process is shutting down, and no retry can succeed.
                if case AMQPError.closed = error { return false }
                guard ContinuousClock.now < deadline else { return false }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }
}

extension JobEvent {
    /// The output text the report carries.
    fileprivate var outputBytes: Int {
        switch kind {
        case .started: 0
        case .output(let chunk), .finished(_, let chunk): chunk.stdout.utf8.count + chunk.stderr.utf8.count
        }
    }
}
