import Application
import Consumers
import Domain
import Foundation
import Infrastructure
import Logging
import Ports
import Testing

/// One report must never hold up the others: the results processor sets a report the
/// store refuses aside (dead-lettered with its reason), ends its job `report_rejected`,
/// and records everyone else's reports.
@Suite("Poison isolation in the results processor")
struct PoisonIsolationTests {
    func event(_ job: JobID, _ kind: JobEvent.Kind, harness: Harness) -> JobEvent {
        JobEvent(eventID: UUID(), jobID: job, attempt: 1, workerID: "w1", occurredAt: harness.clock.now(), kind: kind)
    }

    /// Runs the processor over `queue` until `done` says so (or 20 s pass), then stops it.
    func process(_ queue: InMemoryJobQueue, _ harness: Harness, until done: @escaping @Sendable () async throws -> Bool)
        async throws
    {
        let service = ResultsProcessorService(
            source: queue, record: harness.recordEvents(), batchSize: 10,
            logger: Logger(label: "test"))
        let running = Task { try await service.run() }
        defer { running.cancel() }
        let deadline = ContinuousClock.now + .seconds(20)
        while try await !done(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }

    @Test("a report the store refuses is dead-lettered with its reason; its job fails report_rejected; the rest are recorded")
    func poisonReport() async throws {
        let harness = Harness()
        let hostile = try await harness.caller(role: .user)
        let neighbour = try await harness.caller(role: .user)
        let (poisoned, _) = try await harness.createJob(
            caller: hostile, request: try JobRequest(command: "echo"), idempotencyKey: nil)
        let (good, _) = try await harness.createJob(
            caller: neighbour, request: try JobRequest(command: "echo"), idempotencyKey: nil)
        let queue = InMemoryJobQueue()
        // The output a worker of an older version (or another language) might send: PostgreSQL refuses NUL, and so does the memory store.
        let poison = event(
            poisoned.id, .finished(.succeeded, output: OutputChunk(stdout: "x\u{0}y", stdoutOffset: 0)), harness: harness)
        for report in [
            event(poisoned.id, .started, harness: harness), event(good.id, .started, harness: harness), poison,
            event(good.id, .finished(.succeeded, output: OutputChunk(stdout: "fine\n", stdoutOffset: 0)), harness: harness),
        ] {
            try await queue.publish(report)
        }
        try await process(queue, harness) {
            let jobs = try await [harness.jobs.job(id: poisoned.id), harness.jobs.job(id: good.id)]
            return jobs.allSatisfy { $0?.status.isFinal == true }
        }
        let recorded = try #require(try await harness.jobs.job(id: good.id))
        #expect(recorded.status == .succeeded)
        #expect(try await harness.jobs.output(of: good.id)?.stdout == "fine\n")
        let failed = try #require(try await harness.jobs.job(id: poisoned.id))
        #expect(failed.status == .failed && failed.failure?.code == .reportRejected)
        let dead = await queue.deadLetteredEvents
        #expect(dead.map(\.event) == [poison])
        #expect(dead.first?.reason.contains("refused") == true)
    }

    @Test("a report of a job that is final already is set aside without changing the job")
    func poisonAfterFinal() async throws {
        let harness = Harness()
        let caller = try await harness.caller(role: .user)
        let (job, _) = try await harness.createJob(caller: caller, request: try JobRequest(command: "echo"), idempotencyKey: nil)
        try await harness.recordEvents()([
            event(job.id, .started, harness: harness),
            event(job.id, .finished(.succeeded, output: OutputChunk()), harness: harness),
        ])
        let effect = try await harness.recordEvents().failUnrecorded(
            event(job.id, .output(OutputChunk(stdout: "\u{0}")), harness: harness))
        #expect(effect == .ignored(.finalStatus))
        #expect(try await harness.jobs.job(id: job.id)?.status == .succeeded)
    }
}
