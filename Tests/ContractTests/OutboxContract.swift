import Domain
import Foundation
import Ports
import Synchronization
import Testing

/// Collects what a relay published.
final class PublishedMessages: Sendable {
    let messages = Mutex<[OutboxMessage]>([])
    func append(_ batch: [OutboxMessage]) { messages.withLock { $0 += batch } }
    var all: [OutboxMessage] { messages.withLock { $0 } }
}

@Suite("Contract: Outbox")
struct OutboxContract {
    static func fill(_ store: any JobRepository & Outbox & JobStatistics, count: Int) async throws -> [OutboxMessage] {
        let owner = UserID(UUID())
        var messages: [OutboxMessage] = []
        for _ in 0..<count {
            let job = JobFixtures.job(owner: owner)
            let dispatch = JobFixtures.dispatch(job)
            _ = try await store.create(job, dispatch: dispatch, unfinishedLimit: 1000)
            messages.append(dispatch)
        }
        return messages
    }

    @Test("relays oldest first, in batches, and marks them published", arguments: Adapters.jobStores)
    func relay(adapter: Adapter<any JobRepository & Outbox & JobStatistics>) async throws {
        try await adapter.run { (store: any JobRepository & Outbox & JobStatistics) async throws in
            let messages = try await Self.fill(store, count: 5)
            let published = PublishedMessages()
            #expect(try await store.relay(limit: 3) { published.append($0) } == 3)
            #expect(try await store.relay(limit: 3) { published.append($0) } == 2)
            #expect(try await store.relay(limit: 3) { published.append($0) } == 0)
            #expect(published.all == messages)
            #expect(try await store.backlog(now: Date()).count == 0)
        }
    }

    @Test("a failed publish leaves the messages for the next try", arguments: Adapters.jobStores)
    func failure(adapter: Adapter<any JobRepository & Outbox & JobStatistics>) async throws {
        try await adapter.run { (store: any JobRepository & Outbox & JobStatistics) async throws in
            let messages = try await Self.fill(store, count: 2)
            await #expect(throws: Boom.self) { try await store.relay(limit: 10) { _ in throw Boom() } }
            #expect(try await store.backlog(now: Date()).count == 2)
            let published = PublishedMessages()
            #expect(try await store.relay(limit: 10) { published.append($0) } == 2)
            #expect(published.all == messages)
        }
    }

    @Test("relays running at once never publish a message twice", arguments: Adapters.jobStores)
    func concurrentRelays(adapter: Adapter<any JobRepository & Outbox & JobStatistics>) async throws {
        try await adapter.run { (store: any JobRepository & Outbox & JobStatistics) async throws in
            let messages = try await Self.fill(store, count: 40)
            let published = PublishedMessages()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        while try await store.relay(
                            limit: 3,
                            { batch in
                                try await Task.sleep(for: .milliseconds(2))
                                published.append(batch)
                            }) > 0
                        {}
                    }
                }
                try await group.waitForAll()
            }
            #expect(published.all.count == 40)
            #expect(Set(published.all) == Set(messages))
        }
    }

    @Test("stop messages from an update go out too; published ones are purged after the cutoff", arguments: Adapters.jobStores)
    func stopsAndPurge(adapter: Adapter<any JobRepository & Outbox & JobStatistics>) async throws {
        try await adapter.run { (store: any JobRepository & Outbox & JobStatistics) async throws in
            let job = JobFixtures.job(owner: UserID(UUID()))
            _ = try await store.create(job, dispatch: nil, unfinishedLimit: 10)
            let stop = OutboxMessage.stop(StopRequest(eventID: UUID(), jobID: job.id, occurredAt: JobFixtures.t0))
            try await store.update([job.id]) { $0.outbox.append(stop) }
            let backlog = try await store.backlog(now: Date().addingTimeInterval(5))
            #expect(backlog.count == 1 && backlog.oldestAgeSeconds >= 4)
            let published = PublishedMessages()
            _ = try await store.relay(limit: 10) { published.append($0) }
            #expect(published.all == [stop])
            #expect(try await store.purgePublished(before: Date().addingTimeInterval(-3600)) == 0)
            #expect(try await store.purgePublished(before: Date().addingTimeInterval(3600)) == 1)
        }
    }
}
