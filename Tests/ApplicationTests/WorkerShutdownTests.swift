import Application
import Consumers
import Domain
import Foundation
import Infrastructure
import Logging
import Ports
import ServiceLifecycle
import Synchronization
import Testing

/// A deploy stops workers with SIGTERM. A job running on a worker that is shutting down
/// finishes there within the grace and is acknowledged there; it is not handed to
/// another worker while it still runs (a second run, and a lost acknowledgement).
@Suite("Worker shutdown")
struct WorkerShutdownTests {
    @Test(
        "on graceful shutdown the executor stops taking jobs, finishes the running one and acknowledges it; nobody else runs it")
    func drainOnShutdown() async throws {
        let queue = InMemoryJobQueue()
        let dispatch = JobDispatch(
            eventID: UUID(), jobID: JobID(UUID()), attempt: 1, command: "echo", args: [], priority: 0,
            timeoutSeconds: 30, occurredAt: Date())
        let waiting = JobDispatch(
            eventID: UUID(), jobID: JobID(UUID()), attempt: 1, command: "echo", args: [], priority: 0,
            timeoutSeconds: 30, occurredAt: Date())
        try await queue.publish([.dispatch(dispatch)])
        let runner = ScriptedRunner(runFor: .seconds(1))
        let runJob = RunJob(
            events: queue, stopSignal: InMemoryStopSignal(), stops: StopRegistry(), runner: runner, clock: SystemClock(),
            ids: RandomIDGenerator(), allowlist: .standard, workerID: "w1")
        let logger = Logger(label: "test")
        let executor = ExecutorService(
            source: queue, stops: queue, registry: StopRegistry(), runJob: runJob, concurrency: 1,
            shutdownGrace: .seconds(10), clock: SystemClock(), logger: logger)
        let group = ServiceGroup(configuration: .init(services: [executor], logger: logger))
        let running = Task { try await group.run() }
        let deadline = ContinuousClock.now + .seconds(10)
        while runner.started.withLock({ $0 }) == 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(runner.started.withLock { $0 } == 1)

        await group.triggerGracefulShutdown()
        try await queue.publish([.dispatch(waiting)])
        // Another worker, meanwhile, is offered only the job that was waiting.
        var other = try await queue.dispatches(prefetch: 5).makeAsyncIterator()
        let offered = try #require(try await other.next())
        #expect(offered.message == waiting)
        try await offered.ack()
        try await running.value  // returns once the running job finished and was settled
        let unsettled = await queue.unsettledDispatches
        let pending = await queue.pendingDispatches
        #expect(unsettled == 0 && pending == 0)
        #expect(runner.started.withLock { $0 } == 1)
        let more = Task { try await other.next() }
        try await Task.sleep(for: .milliseconds(200))
        more.cancel()
        #expect(try await more.value == nil, "the job that ran was handed to another worker")
    }
}
