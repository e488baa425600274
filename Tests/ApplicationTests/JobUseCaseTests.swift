import Application
import Domain
import Foundation
import Infrastructure
import Ports
import Synchronization
import Testing

@Suite("Use cases: jobs")
struct JobUseCaseTests {
    @Test("a job is created queued with its dispatch in the outbox, and the relay is woken")
    func create() async throws {
        let harness = Harness()
        let caller = try await harness.caller(role: .user)
        let (job, created) = try await harness.createJob(
            caller: caller, request: try JobRequest(command: "echo", args: ["Hello World"]), idempotencyKey: nil)
        #expect(created && job.status == .queued && job.ownerID == caller.userID && job.args == ["Hello World"])
        #expect(try await harness.jobs.backlog(now: harness.clock.now()).count == 1)
        #expect(harness.signal.wakeUps == 1)
    }

    @Test("a job with a future run_at is scheduled, with no dispatch until it is due")
    func scheduled() async throws {
        let harness = Harness()
        let caller = try await harness.caller(role: .user)
        let runAt = harness.clock.now().addingTimeInterval(60)
        let (job, _) = try await harness.createJob(
            caller: caller, request: try JobRequest(command: "echo", runAt: runAt), idempotencyKey: nil)
        #expect(job.status == .scheduled && job.runAt == runAt)
        #expect(try await harness.jobs.backlog(now: runAt).count == 0)
        #expect(try await harness.promote() == 0)
        harness.clock.advance(60)
        #expect(try await harness.promote() == 1)
        #expect(try await harness.jobs.job(id: job.id)?.status == .queued)
        #expect(try await harness.jobs.backlog(now: runAt).count == 1)
    }

    @Test("viewers may not create; commands off the allowlist and the unfinished limit are refused")
    func policies() async throws {
        let harness = Harness(maxUnfinished: 2)
        let viewer = try await harness.caller(role: .viewer)
        await #expect(throws: UseCaseError.forbidden("viewers may not create jobs")) {
            try await harness.createJob(caller: viewer, request: try JobRequest(command: "echo"), idempotencyKey: nil)
        }
        let user = try await harness.caller(role: .user)
        await #expect(throws: UseCaseError.unprocessable("command 'bash' is not allowed on this deployment")) {
            try await harness.createJob(
                caller: user, request: try JobRequest(command: "bash", args: ["-c", "id"]), idempotencyKey: nil)
        }
        for _ in 0..<2 {
            _ = try await harness.createJob(caller: user, request: try JobRequest(command: "true"), idempotencyKey: nil)
        }
        await #expect(throws: UseCaseError.unprocessable("the limit of 2 unfinished jobs per user is reached")) {
            try await harness.createJob(caller: user, request: try JobRequest(command: "true"), idempotencyKey: nil)
        }
    }

    @Test("the same Idempotency-Key with the same request returns the first job; with another request it conflicts")
    func idempotency() async throws {
        let harness = Harness()
        let caller = try await harness.caller(role: .user)
        let request = try JobRequest(command: "echo", args: ["once"])
        let (first, created) = try await harness.createJob(caller: caller, request: request, idempotencyKey: "k-1")
        let spelledOut = try JobRequest(command: "echo", args: ["once"], priority: 0, timeoutSeconds: 300, maxAttempts: 1)
        let (again, createdAgain) = try await harness.createJob(caller: caller, request: spelledOut, idempotencyKey: "k-1")
        #expect(created && !createdAgain && again == first)
        await #expect(throws: UseCaseError.conflict("Idempotency-Key was already used with a different request")) {
            try await harness.createJob(
                caller: caller, request: try JobRequest(command: "echo", args: ["twice"]), idempotencyKey: "k-1")
        }
        // 409 comes before 422: a reused key with a disallowed command is a conflict.
        await #expect(throws: UseCaseError.conflict("Idempotency-Key was already used with a different request")) {
            try await harness.createJob(caller: caller, request: try JobRequest(command: "bash"), idempotencyKey: "k-1")
        }
        #expect(try await harness.jobs.backlog(now: harness.clock.now()).count == 1)
    }

    @Test("list pages newest first with an opaque cursor; owner=all is for admins")
    func list() async throws {
        let harness = Harness()
        let caller = try await harness.caller(role: .user)
        var made: [JobID] = []
        for _ in 0..<5 {
            made.append(
                try await harness.createJob(caller: caller, request: try JobRequest(command: "true"), idempotencyKey: nil).job.id)
            harness.clock.advance(1)
        }
        let other = try await harness.caller(role: .user)
        _ = try await harness.createJob(caller: other, request: try JobRequest(command: "true"), idempotencyKey: nil)

        let page1 = try await harness.listJobs(caller: caller, status: nil, limit: 2, cursor: nil, allOwners: false)
        let page2 = try await harness.listJobs(caller: caller, status: nil, limit: 2, cursor: page1.nextCursor, allOwners: false)
        let page3 = try await harness.listJobs(caller: caller, status: nil, limit: 2, cursor: page2.nextCursor, allOwners: false)
        #expect((page1.jobs + page2.jobs + page3.jobs).map(\.id) == made.reversed())
        #expect(page3.nextCursor == nil)

        await #expect(throws: UseCaseError.forbidden("only admins may list every user's jobs")) {
            try await harness.listJobs(caller: caller, status: nil, limit: nil, cursor: nil, allOwners: true)
        }
        let admin = try await harness.caller(role: .admin)
        #expect(try await harness.listJobs(caller: admin, status: nil, limit: 100, cursor: nil, allOwners: true).jobs.count == 6)
        #expect(
            try await harness.listJobs(caller: caller, status: .succeeded, limit: nil, cursor: nil, allOwners: false).jobs.isEmpty
        )
    }

    @Test(
        "bad limits and cursors are 400s, never clamped or ignored",
        arguments: [
            (0, nil), (101, nil), (20, "garbage"), (20, ""), (20, "MTpub3RhbnVtYmVyOng"),
        ] as [(Int, String?)])
    func listValidation(limit: Int, cursor: String?) async throws {
        let harness = Harness()
        let caller = try await harness.caller(role: .user)
        await #expect(throws: UseCaseError.self) {
            try await harness.listJobs(caller: caller, status: nil, limit: limit, cursor: cursor, allOwners: false)
        }
    }

    @Test("another user's job is not found; an admin sees it")
    func visibility() async throws {
        let harness = Harness()
        let owner = try await harness.caller(role: .user)
        let (job, _) = try await harness.createJob(caller: owner, request: try JobRequest(command: "true"), idempotencyKey: nil)
        let stranger = try await harness.caller(role: .user)
        await #expect(throws: UseCaseError.notFound) { try await harness.getJob(caller: stranger, id: job.id) }
        await #expect(throws: UseCaseError.notFound) { try await harness.getOutput(caller: stranger, id: job.id) }
        await #expect(throws: UseCaseError.notFound) { try await harness.stopJob(caller: stranger, id: job.id) }
        await #expect(throws: UseCaseError.notFound) { try await harness.getJob(caller: owner, id: JobID(UUID())) }
        let admin = try await harness.caller(role: .admin)
        #expect(try await harness.getJob(caller: admin, id: job.id) == job)
        #expect(try await harness.getOutput(caller: owner, id: job.id) == JobOutput())
    }

    @Test("stop: a queued job is cancelled at once, a running one marked; a final one conflicts")
    func stop() async throws {
        let harness = Harness()
        let caller = try await harness.caller(role: .user)
        let (queued, _) = try await harness.createJob(
            caller: caller, request: try JobRequest(command: "sleep", args: ["60"]), idempotencyKey: nil)
        let (job, effect) = try await harness.stopJob(caller: caller, id: queued.id)
        #expect(effect == .cancelled && job.status == .cancelled)
        #expect(try await harness.stopSignal.isMarked(queued.id))
        await #expect(throws: UseCaseError.conflict("job is not running")) {
            try await harness.stopJob(caller: caller, id: queued.id)
        }

        let (running, _) = try await harness.createJob(
            caller: caller, request: try JobRequest(command: "sleep", args: ["60"]), idempotencyKey: nil)
        _ = try await harness.getJob(caller: caller, id: running.id)  // cached as queued
        try await harness.recordEvents()([
            JobEvent(
                eventID: UUID(), jobID: running.id, attempt: 1, workerID: "w1", occurredAt: harness.clock.now(), kind: .started)
        ])
        let (marked, runningEffect) = try await harness.stopJob(caller: caller, id: running.id)
        #expect(runningEffect == .stopRequested && marked.status == .running && marked.stopRequestedAt != nil)
        #expect(try await harness.getJob(caller: caller, id: running.id).stopRequestedAt != nil)

        // Both stops went through the outbox to the control broadcast.
        let published = PublishedBatch()
        _ = try await harness.jobs.relay(limit: 100) { published.add($0) }
        #expect(published.stops == [queued.id, running.id])

        let viewer = try await harness.caller(role: .viewer)
        await #expect(throws: UseCaseError.forbidden("viewers may not stop jobs")) {
            try await harness.stopJob(caller: viewer, id: running.id)
        }
    }
}

final class PublishedBatch: Sendable {
    private let messages = Mutex<[OutboxMessage]>([])
    func add(_ batch: [OutboxMessage]) { messages.withLock { $0 += batch } }
    var stops: [JobID] {
        messages.withLock { $0.compactMap { if case .stop(let stop) = $0 { stop.jobID } else { nil } } }
    }
    var dispatches: [JobDispatch] {
        messages.withLock { $0.compactMap { if case .dispatch(let dispatch) = $0 { dispatch } else { nil } } }
    }
}
