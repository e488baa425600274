import Application
import Consumers
import Domain
import Foundation
import Infrastructure
import Logging
import Ports
import Synchronization
import Testing

/// The background services themselves (not only the use cases they drive), on the
/// in-memory adapters with the test clock.
@Suite("Consumer services")
struct ConsumerServiceTests {
    static let logger = Logger(label: "test")

    /// Waits (up to 10 s) until `condition` holds.
    func eventually(_ condition: @Sendable () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return try await condition()
    }

    /// The dispatches waiting in the outbox, taken out (as a relay would).
    func drainOutbox(_ harness: Harness) async throws -> [JobDispatch] {
        let taken = Mutex<[JobDispatch]>([])
        _ = try await harness.jobs.relay(limit: 1000) { messages in
            taken.withLock { all in
                for case .dispatch(let dispatch) in messages { all.append(dispatch) }
            }
        }
        return taken.withLock { $0 }
    }

    @Test("the scheduler: one leader promotes due jobs once; when it stops, another takes over")
    func schedulerLeadership() async throws {
        let harness = Harness()
        let caller = try await harness.caller(role: .user)
        _ = try await drainOutbox(harness)
        let lock = InMemoryDistributedLock(clock: harness.clock)
        func scheduler(_ owner: String) -> SchedulerService {
            SchedulerService(
                lock: lock, promote: harness.promote, purge: harness.purge(retentionDays: 30), owner: owner,
                interval: .milliseconds(20), logger: Self.logger)
        }
        let first = Task { try await scheduler("a").run() }
        let second = Task { try await scheduler("b").run() }
        let runAt = harness.clock.now().addingTimeInterval(10)
        let (job, _) = try await harness.createJob(
            caller: caller, request: try JobRequest(command: "echo", runAt: runAt), idempotencyKey: nil)
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await harness.jobs.job(id: job.id)?.status == .scheduled)  // not due yet
        harness.clock.advance(11)
        #expect(try await eventually { try await harness.jobs.job(id: job.id)?.status == .queued })
        try await Task.sleep(for: .milliseconds(100))  // both schedulers ticked a few more times
        #expect(try await drainOutbox(harness).map(\.jobID) == [job.id])  // promoted once, by one leader

        first.cancel()
        second.cancel()
        _ = try? await first.value
        _ = try? await second.value
        // A scheduler that was not leading takes the lease once it is free.
        let third = Task { try await scheduler("c").run() }
        defer { third.cancel() }
        let (later, _) = try await harness.createJob(
            caller: caller, request: try JobRequest(command: "echo", runAt: harness.clock.now().addingTimeInterval(5)),
            idempotencyKey: nil)
        harness.clock.advance(6)
        #expect(try await eventually { try await harness.jobs.job(id: later.id)?.status == .queued })
    }

    /// A publisher that refuses its first `failures` batches.
    final class FlakyPublisher: OutboxPublisher {
        let remainingFailures: Mutex<Int>
        let published = Mutex<[OutboxMessage]>([])
        init(failures: Int) { remainingFailures = Mutex(failures) }
        func publish(_ messages: [OutboxMessage]) async throws {
            let fail = remainingFailures.withLock { left in
                defer { left = max(0, left - 1) }
                return left > 0
            }
            if fail { throw PortError.unavailable }
            published.withLock { $0 += messages }
        }
        var count: Int { published.withLock { $0.count } }
    }

    @Test(
        "the relay: a commit's doorbell sends its dispatch at once; a refused batch stays in the outbox and goes out on a retry")
    func relay() async throws {
        let harness = Harness()
        let caller = try await harness.caller(role: .user)
        let publisher = FlakyPublisher(failures: 1)
        let doorbell = RelayDoorbell()
        let service = OutboxRelayService(
            relay: RelayOutbox(outbox: harness.jobs, publisher: publisher), doorbell: doorbell,
            clock: harness.clock, pollInterval: .seconds(60), logger: Self.logger)
        _ = try await harness.createJob(caller: caller, request: try JobRequest(command: "echo"), idempotencyKey: nil)
        let running = Task { try await service.run() }
        defer { running.cancel() }
        // The first batch is refused; the retry (after a short backoff) sends it.
        #expect(try await eventually { publisher.count == 1 })
        #expect(try await harness.jobs.backlog(now: harness.clock.now()).count == 0)
        // With a 60 s poll, only the doorbell can make this one go out within the wait.
        _ = try await harness.createJob(caller: caller, request: try JobRequest(command: "echo"), idempotencyKey: nil)
        doorbell.outboxChanged()
        #expect(try await eventually { publisher.count == 2 })
    }
}
