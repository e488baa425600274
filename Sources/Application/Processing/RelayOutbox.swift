public import Foundation
public import Ports

/// The outbox relay's work: publishes waiting messages in batches, each batch
/// confirmed by the broker once, and marks them published only then.
public struct RelayOutbox: Sendable {
    let outbox: any Outbox
    let publisher: any OutboxPublisher

    public init(outbox: any Outbox, publisher: any OutboxPublisher) {
        self.outbox = outbox
        self.publisher = publisher
    }

    /// Publishes until the outbox is empty (or `maxBatches` batches went out); returns
    /// how many messages it published.
    @discardableResult
    public func callAsFunction(batchSize: Int = 200, maxBatches: Int = 50) async throws -> Int {
        var total = 0
        for _ in 0..<maxBatches {
            let sent = try await outbox.relay(limit: batchSize) { [publisher] messages in
                try await publisher.publish(messages)
            }
            total += sent
            if sent < batchSize { break }
        }
        return total
    }

    /// How many messages wait and how old the oldest is (the outbox-lag metric).
    public func backlog(now: Date) async throws -> (count: Int, oldestAgeSeconds: Double) {
        try await outbox.backlog(now: now)
    }
}
