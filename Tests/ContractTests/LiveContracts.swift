import Domain
import Foundation
import Infrastructure
import Ports
import Synchronization
import Testing

/// What a source delivered, for the tests to wait on.
final class Received: Sendable {
    private let state = Mutex((subscribed: 0, changes: [JobChange]()))
    func subscribed() { state.withLock { $0.subscribed += 1 } }
    func add(_ change: JobChange) { state.withLock { $0.changes.append(change) } }
    var changes: [JobChange] { state.withLock { $0.changes } }
    var subscriptions: Int { state.withLock { $0.subscribed } }

    /// Waits up to 5 s for `condition`.
    func wait(_ condition: @escaping @Sendable (Received) -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition(self) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }
}

typealias JobChangeFeedUnderTest = JobChangePublisher & JobChangeSource

@Suite("Contract: JobChangePublisher and JobChangeSource")
struct JobChangeFeedContract {
    static func change(_ owner: UserID, version bump: Int = 0, output: Bool = false) -> JobChange {
        let job = JobFixtures.job(owner: owner)
        return JobChange(
            jobID: job.id, ownerID: owner, version: job.version + bump, jobChanged: bump > 0 || !output,
            outputChanged: output, job: job)
    }

    @Test("every subscriber gets every change, in the order published, until cancelled", arguments: Adapters.jobChangeFeeds)
    func fanOut(adapter: Adapter<any JobChangeFeedUnderTest>) async throws {
        try await adapter.run { feed in
            let first = Received()
            let second = Received()
            let runs = [first, second].map { received in
                Task {
                    await feed.run(subscribed: { received.subscribed() }, wants: { _, _ in true }, deliver: { received.add($0) })
                }
            }
            try await first.wait { $0.subscriptions == 1 }
            try await second.wait { $0.subscriptions == 1 }
            #expect(first.subscriptions == 1 && second.subscriptions == 1)

            let owner = UserID(UUID())
            let changes = [Self.change(owner), Self.change(owner, output: true), Self.change(owner, version: 1, output: true)]
            await feed.publish(Array(changes.prefix(2)))
            await feed.publish([changes[2]])
            try await first.wait { $0.changes.count >= 3 }
            try await second.wait { $0.changes.count >= 3 }
            // A transport may leave the job behind (Redis carries the notice only).
            #expect(first.changes.map(\.notice) == changes.map(\.notice))
            #expect(second.changes.map(\.notice) == changes.map(\.notice))

            // A cancelled subscriber hears nothing more, and its run returns.
            runs[0].cancel()
            await runs[0].value
            let later = Self.change(owner)
            await feed.publish([later])
            try await second.wait { $0.changes.count >= 4 }
            #expect(second.changes.last?.notice == later.notice)
            #expect(first.changes.count == 3)
            runs[1].cancel()
            await runs[1].value
        }
    }
}

extension JobChangeFeedContract {
    @Test("only the changes a subscriber wants are delivered", arguments: Adapters.jobChangeFeeds)
    func wanted(adapter: Adapter<any JobChangeFeedUnderTest>) async throws {
        try await adapter.run { feed in
            let wanted = UserID(UUID())
            let other = UserID(UUID())
            let received = Received()
            let run = Task {
                await feed.run(
                    subscribed: { received.subscribed() }, wants: { _, owner in owner == wanted },
                    deliver: { received.add($0) })
            }
            try await received.wait { $0.subscriptions == 1 }
            let changes = [Self.change(other), Self.change(wanted), Self.change(other), Self.change(wanted, output: true)]
            await feed.publish(changes)
            try await received.wait { $0.changes.count >= 2 }
            try await Task.sleep(for: .milliseconds(100))  // time for anything unwanted to arrive, wrongly
            #expect(received.changes.map(\.notice) == [changes[1].notice, changes[3].notice])
            run.cancel()
            await run.value
        }
    }
}

@Suite("Contract: WorkerRegistry")
struct WorkerRegistryContract {
    static func beat(_ id: String, at seconds: Double, running: Int = 0) -> WorkerHeartbeat {
        WorkerHeartbeat(
            workerID: id, host: "host-\(id)", roles: ["executor", "results"], concurrency: 4, running: running,
            startedAt: JobFixtures.t0, seenAt: JobFixtures.t0.addingTimeInterval(seconds))
    }

    @Test("recent heartbeats only, newest first, the latest beat of each worker", arguments: Adapters.workerRegistries)
    func recent(adapter: Adapter<any WorkerRegistry>) async throws {
        try await adapter.run { registry in
            #expect(try await registry.seen(since: JobFixtures.t0).isEmpty)
            try await registry.beat(Self.beat("old", at: 0))
            try await registry.beat(Self.beat("a", at: 50))
            try await registry.beat(Self.beat("b", at: 55, running: 2))
            try await registry.beat(Self.beat("a", at: 60, running: 3))
            let seen = try await registry.seen(since: JobFixtures.t0.addingTimeInterval(30))
            #expect(seen == [Self.beat("a", at: 60, running: 3), Self.beat("b", at: 55, running: 2)])
        }
    }
}

@Suite("Contract: JobRepository snapshots and JobStatistics")
struct JobStatisticsContract {
    let owner = UserID(UUID())

    @Test("a snapshot is the job with its output; nil for an unknown job", arguments: Adapters.jobStores)
    func snapshot(adapter: Adapter<any JobRepository & Outbox & JobStatistics>) async throws {
        let owner = self.owner
        try await adapter.run { store in
            let job = JobFixtures.job(owner: owner)
            _ = try await store.create(job, dispatch: nil, unfinishedLimit: 10)
            #expect(try await store.snapshot(of: job.id) == JobSnapshot(job: job, output: JobOutput()))
            let started = try await store.update([job.id]) { changes in
                var running = changes.jobs[job.id]!
                let effect = running.apply(JobFixtures.event(job, .started), now: JobFixtures.t0) { _ in 1 }
                changes.jobs[job.id] = running
                changes.recordOutput(for: job.id, reset: effect.resetsOutput, append: OutputChunk(stdout: "hi\n", stderr: "e"))
                return running
            }
            let snapshot = try #require(try await store.snapshot(of: job.id))
            #expect(snapshot.job == started)
            #expect(snapshot.output == JobOutput(stdout: "hi\n", stderr: "e"))
            #expect(try await store.snapshot(of: JobID(UUID())) == nil)
        }
    }

    @Test("jobs by status, and finished jobs per minute and status", arguments: Adapters.jobStores)
    func statistics(adapter: Adapter<any JobRepository & Outbox & JobStatistics>) async throws {
        let owner = self.owner
        try await adapter.run { store in
            let jobs = (0..<5).map { _ in JobFixtures.job(owner: owner) }
            for job in jobs { _ = try await store.create(job, dispatch: nil, unfinishedLimit: 10) }
            // Two succeed in the first minute, one fails in the next, one is cancelled then; one stays queued.
            let plan: [(Int, RunOutcome?, Double)] = [
                (0, .succeeded, 5), (1, .succeeded, 50),
                (2, .failed(exitCode: 1, failure: JobFailure(code: .nonzeroExit, message: "1")), 70),
                (3, nil, 80),
            ]
            for (index, outcome, seconds) in plan {
                let job = jobs[index]
                let at = JobFixtures.t0.addingTimeInterval(seconds)
                try await store.update([job.id]) { changes in
                    var current = changes.jobs[job.id]!
                    if let outcome {
                        _ = current.apply(JobFixtures.event(job, .finished(outcome, output: OutputChunk())), now: at) { _ in 1 }
                    } else {
                        _ = try current.requestStop(now: at)
                    }
                    changes.jobs[job.id] = current
                }
            }
            #expect(try await store.countsByStatus() == [.succeeded: 2, .failed: 1, .cancelled: 1, .queued: 1])
            let minute = JobFixtures.t0  // t0 is a whole minute
            let next = minute.addingTimeInterval(60)
            let perMinute = try await store.finishedPerMinute(since: minute)
            #expect(
                perMinute == [
                    FinishedPerMinute(minute: minute, status: .succeeded, count: 2),
                    FinishedPerMinute(minute: next, status: .cancelled, count: 1),
                    FinishedPerMinute(minute: next, status: .failed, count: 1),
                ])
            #expect(try await store.finishedPerMinute(since: next).count == 2)
        }
    }
}
