import Application
import Domain
import Foundation
import Infrastructure
import Ports
import Synchronization
import Testing

/// A program that prints what it is told, runs for a while, and ends as it is told;
/// cancelling it ends it as `.stopped`, like the real runner.
final class ScriptedRunner: ProcessRunner {
    let output: [OutputChunk]
    let termination: ProcessTermination
    let runFor: Duration
    let usage: ResourceUsage?
    let started = Mutex(0)

    init(
        output: [OutputChunk] = [], termination: ProcessTermination = .exited(0), runFor: Duration = .zero,
        usage: ResourceUsage? = nil
    ) {
        self.usage = usage
        self.output = output
        self.termination = termination
        self.runFor = runFor
    }

    func run(_ spec: ProcessSpec, onOutput: @escaping @Sendable (OutputChunk) async -> Void) async -> ProcessResult {
        started.withLock { $0 += 1 }
        for chunk in output { await onOutput(chunk) }
        do { try await Task.sleep(for: runFor) } catch { return ProcessResult(.stopped) }
        return ProcessResult(termination, usage: usage)
    }
}

/// A runner that reports what the program used while it runs, then ends.
final class MeasuringRunner: ProcessRunner {
    let samples: [ResourceUsage]
    let runFor: Duration
    init(samples: [ResourceUsage], runFor: Duration) {
        self.samples = samples
        self.runFor = runFor
    }

    func run(_ spec: ProcessSpec, onOutput: @escaping @Sendable (OutputChunk) async -> Void) async -> ProcessResult {
        await run(spec, onOutput: onOutput, onUsage: { _ in })
    }

    func run(
        _ spec: ProcessSpec, onOutput: @escaping @Sendable (OutputChunk) async -> Void,
        onUsage: @escaping @Sendable (ResourceUsage) async -> Void
    ) async -> ProcessResult {
        for sample in samples { await onUsage(sample) }
        try? await Task.sleep(for: runFor)
        return ProcessResult(.exited(0), usage: samples.last)
    }
}

/// Collects the events a worker published.
final class EventLog: JobEventPublisher {
    let events = Mutex<[JobEvent]>([])
    func publish(_ event: JobEvent) async throws { events.withLock { $0.append(event) } }
    var all: [JobEvent] { events.withLock { $0 } }
}

/// Holds every `started` report until `open()`, as a broker slow to confirm would.
final class GatedStartedLog: JobEventPublisher {
    let log = EventLog()
    private let gate = AsyncStream<Void>.makeStream()
    private let opened = Mutex(false)

    func publish(_ event: JobEvent) async throws {
        if event.kind == .started, !opened.withLock({ $0 }) {
            for await _ in gate.stream { break }
        }
        try await log.publish(event)
    }

    func open() {
        opened.withLock { $0 = true }
        gate.continuation.finish()
    }
}

@Suite("Use cases: consumers")
struct ConsumerUseCaseTests {
    func event(_ job: JobID, _ attempt: Int, _ kind: JobEvent.Kind, worker: String = "w1", harness: Harness) -> JobEvent {
        JobEvent(eventID: UUID(), jobID: job, attempt: attempt, workerID: worker, occurredAt: harness.clock.now(), kind: kind)
    }

    @Test("events are applied in a batch: output accumulates, the result is recorded, the cache is invalidated")
    func lifecycle() async throws {
        let harness = Harness()
        let caller = try await harness.caller(role: .user)
        let (job, _) = try await harness.createJob(
            caller: caller, request: try JobRequest(command: "echo", args: ["hi"]), idempotencyKey: nil)
        _ = try await harness.getJob(caller: caller, id: job.id)  // now cached as queued
        let effects = try await harness.recordEvents()([
            event(job.id, 1, .started, harness: harness),
            event(job.id, 1, .output(OutputChunk(stdout: "hi", stdoutOffset: 0)), harness: harness),
            event(job.id, 1, .output(OutputChunk(stdout: "hi", stdoutOffset: 0)), harness: harness),  // duplicate
            event(job.id, 1, .finished(.succeeded, output: OutputChunk(stdout: "\n", stdoutOffset: 2)), harness: harness),
            // A duplicate of the report above.
            event(job.id, 1, .finished(.succeeded, output: OutputChunk(stdout: "\n", stdoutOffset: 2)), harness: harness),
        ])
        #expect(effects.last == .ignored(.finalStatus))
        let done = try await harness.getJob(caller: caller, id: job.id)
        #expect(done.status == .succeeded && done.exitCode == 0)
        #expect(
            try await harness.getOutput(caller: caller, id: job.id) == JobOutput(stdout: "hi\n", stderr: "", truncated: false))
    }

    @Test("a failed attempt with attempts left is retried after backoff with jitter")
    func retry() async throws {
        let harness = Harness()
        let caller = try await harness.caller(role: .user)
        let (job, _) = try await harness.createJob(
            caller: caller, request: try JobRequest(command: "false", maxAttempts: 2), idempotencyKey: nil)
        let failure = JobFailure(code: .nonzeroExit, message: "exited with status 1")
        try await harness.recordEvents(jitter: 0.5)([
            event(job.id, 1, .started, harness: harness),
            event(
                job.id, 1, .finished(.failed(exitCode: 1, failure: failure), output: OutputChunk(stdout: "attempt one")),
                harness: harness),
        ])
        let scheduled = try #require(try await harness.jobs.job(id: job.id))
        // Backoff base 10 s, attempt 1, jitter 0.5: 5 + 2.5 seconds.
        #expect(scheduled.status == .scheduled && scheduled.runAt == harness.clock.now().addingTimeInterval(7.5))
        harness.clock.advance(8)
        #expect(try await harness.promote() == 1)
        try await harness.recordEvents()([event(job.id, 2, .started, worker: "w2", harness: harness)])
        // A new attempt starts its output over.
        #expect(try await harness.jobs.output(of: job.id) == JobOutput())
        #expect(try await harness.jobs.job(id: job.id)?.attempts == 2)
    }

    @Test("a job whose workers keep dying fails worker_lost; its last run is told to stop and later workers skip it")
    func workerLost() async throws {
        let harness = Harness()
        let caller = try await harness.caller(role: .user)
        let (job, _) = try await harness.createJob(
            caller: caller, request: try JobRequest(command: "sleep", args: ["1"]), idempotencyKey: nil)
        _ = try await harness.jobs.relay(limit: 10) { _ in }
        let effects = try await harness.recordEvents()(
            (1...4).map { event(job.id, 1, .started, worker: "w\($0)", harness: harness) })
        #expect(effects == [.started, .restarted, .restarted, .workerLost])
        #expect(try await harness.jobs.job(id: job.id)?.failure?.code == .workerLost)
        let published = PublishedBatch()
        _ = try await harness.jobs.relay(limit: 10) { published.add($0) }
        #expect(published.stops == [job.id])
        // The dispatch is still queued: the stop marker makes the next worker skip it.
        #expect(try await harness.stopSignal.isMarked(job.id))
    }

    @Test("the relay publishes the outbox through the queue")
    func relay() async throws {
        let harness = Harness()
        let caller = try await harness.caller(role: .user)
        let (job, _) = try await harness.createJob(
            caller: caller, request: try JobRequest(command: "true", priority: 7), idempotencyKey: nil)
        let queue = InMemoryJobQueue()
        #expect(try await RelayOutbox(outbox: harness.jobs, publisher: queue)() == 1)
        var iterator = try await queue.dispatches(prefetch: 1).makeAsyncIterator()
        let delivery = try #require(try await iterator.next())
        #expect(delivery.message.jobID == job.id && delivery.message.attempt == 1 && delivery.message.priority == 7)
    }

    @Test("after a restart, queued jobs get their next attempt again and running ones a redelivery")
    func redispatch() async throws {
        let harness = Harness()
        let caller = try await harness.caller(role: .user)
        let (queued, _) = try await harness.createJob(
            caller: caller, request: try JobRequest(command: "true"), idempotencyKey: nil)
        let (running, _) = try await harness.createJob(
            caller: caller, request: try JobRequest(command: "sleep", args: ["5"]), idempotencyKey: nil)
        let (scheduled, _) = try await harness.createJob(
            caller: caller, request: try JobRequest(command: "true", runAt: harness.clock.now().addingTimeInterval(600)),
            idempotencyKey: nil)
        try await harness.recordEvents()([event(running.id, 1, .started, harness: harness)])
        _ = try await harness.jobs.relay(limit: 100) { _ in }  // the old dispatches "went" to the lost queue
        let written = try await RedispatchInFlightJobs(
            jobs: harness.jobs, outboxSignal: harness.signal, clock: harness.clock, ids: harness.ids)()
        #expect(written == 2)
        let published = PublishedBatch()
        _ = try await harness.jobs.relay(limit: 100) { published.add($0) }
        let attempts = Dictionary(uniqueKeysWithValues: published.dispatches.map { ($0.jobID, $0.attempt) })
        #expect(attempts == [queued.id: 1, running.id: 1])
        #expect(attempts[scheduled.id] == nil)
    }

    @Test("purge keeps what is younger than the retention period")
    func purge() async throws {
        let harness = Harness()
        let caller = try await harness.caller(role: .user)
        let (old, _) = try await harness.createJob(caller: caller, request: try JobRequest(command: "true"), idempotencyKey: nil)
        _ = try await harness.stopJob(caller: caller, id: old.id)
        harness.clock.advance(86_400 * 2)
        let (recent, _) = try await harness.createJob(
            caller: caller, request: try JobRequest(command: "true"), idempotencyKey: nil)
        _ = try await harness.stopJob(caller: caller, id: recent.id)
        _ = try await harness.jobs.relay(limit: 100) { _ in }
        harness.clock.advance(3600)
        let purged = try await harness.purge(retentionDays: 1)()
        #expect(purged.jobs == 1)
        #expect(try await harness.jobs.job(id: old.id) == nil)
        #expect(try await harness.jobs.job(id: recent.id) != nil)
        // The sessions are younger than a day's expiry? No: refresh TTL is an hour, so the
        // sessions made at the start ended more than a day ago.
        #expect(purged.sessions >= 1)
    }
}

@Suite("Use case: RunJob (the executor)")
struct RunJobTests {
    let dispatch = JobDispatch(
        eventID: UUID(), jobID: JobID(UUID()), attempt: 1, command: "echo", args: ["hi"],
        priority: 0, timeoutSeconds: 30, occurredAt: Date())

    func runJob(
        _ runner: ScriptedRunner, events: EventLog, stops: StopRegistry = StopRegistry(),
        stopSignal: InMemoryStopSignal = InMemoryStopSignal(), allowlist: CommandAllowlist = .standard
    ) -> RunJob {
        RunJob(
            events: events, stopSignal: stopSignal, stops: stops, runner: runner, clock: SystemClock(), ids: RandomIDGenerator(),
            allowlist: allowlist, workerID: "w1", flushInterval: .milliseconds(20))
    }

    @Test("reports started, streams output while it runs, then the outcome with the rest")
    func success() async throws {
        let events = EventLog()
        let runner = ScriptedRunner(
            output: [OutputChunk(stdout: "hel"), OutputChunk(stderr: "warn")], termination: .exited(0), runFor: .milliseconds(200)
        )
        let disposition = try await runJob(runner, events: events)(dispatch)
        #expect(disposition == .reported(.succeeded))
        let kinds = events.all.map(\.kind)
        #expect(kinds.first == .started)
        guard case .finished(.succeeded, _) = kinds.last else {
            Issue.record("no finish")
            return
        }
        var output = JobOutput()
        for case .output(let chunk) in kinds { output.append(chunk, limit: 1000) }
        if case .finished(_, let rest) = kinds.last { output.append(rest, limit: 1000) }
        #expect(output == JobOutput(stdout: "hel", stderr: "warn", truncated: false))
        #expect(kinds.contains { if case .output = $0 { true } else { false } })  // flushed while running
        #expect(events.all.allSatisfy { $0.attempt == 1 && $0.workerID == "w1" && $0.jobID == dispatch.jobID })
    }

    func runJob(_ runner: ScriptedRunner, events: any JobEventPublisher, startedDelay: Duration) -> RunJob {
        RunJob(
            events: events, stopSignal: InMemoryStopSignal(), stops: StopRegistry(), runner: runner, clock: SystemClock(),
            ids: RandomIDGenerator(), allowlist: .standard, workerID: "w1", flushInterval: .milliseconds(20),
            startedDelay: startedDelay)
    }

    @Test(
        "a first delivery's program starts without waiting for started, and nothing else is reported before it is confirmed; a redelivered one waits",
        arguments: [false, true])
    func startedConfirmation(redelivered: Bool) async throws {
        let events = GatedStartedLog()
        let runner = ScriptedRunner(output: [OutputChunk(stdout: "out")], termination: .exited(0), runFor: .milliseconds(60))
        let run = Task { try await runJob(runner, events: events, startedDelay: .zero)(dispatch, redelivered: redelivered) }
        // A first delivery's program starts (give a loaded machine time); a redelivered one does not.
        for _ in 0..<100 where runner.started.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(50)) }
        if redelivered { try await Task.sleep(for: .milliseconds(300)) }
        #expect(runner.started.withLock { $0 } == (redelivered ? 0 : 1))
        #expect(events.log.all.isEmpty)
        events.open()
        #expect(try await run.value == .reported(.succeeded))
        #expect(runner.started.withLock { $0 } == 1)
        let kinds = events.log.all.map(\.kind)
        #expect(kinds.first == .started && kinds.count >= 2)
        #expect(kinds.last.map { if case .finished(.succeeded, _) = $0 { true } else { false } } == true)
        #expect(events.log.all.allSatisfy { $0.startedAt == nil })
    }

    @Test("a first delivery that ends within the started delay reports its finish alone, with the time it started")
    func shortRunFolded() async throws {
        let events = EventLog()
        let before = Date()
        let runner = ScriptedRunner(termination: .exited(0), runFor: .milliseconds(20))
        #expect(
            try await runJob(runner, events: events, startedDelay: .seconds(5))(dispatch, redelivered: false)
                == .reported(.succeeded))
        let all = events.all
        #expect(all.count == 1)
        let finish = try #require(all.first)
        #expect(finish.kind == .finished(.succeeded, output: OutputChunk()))
        let startedAt = try #require(finish.startedAt)
        #expect(startedAt >= before.addingTimeInterval(-0.001) && startedAt <= finish.occurredAt)

        // The same run redelivered, or one longer than the delay, reports `started` first.
        for (redelivered, delay) in [(true, Duration.seconds(5)), (false, .milliseconds(1))] {
            let log = EventLog()
            _ = try await runJob(ScriptedRunner(runFor: .milliseconds(50)), events: log, startedDelay: delay)(
                dispatch, redelivered: redelivered)
            #expect(log.all.map(\.kind).first == .started && log.all.count == 2 && log.all.allSatisfy { $0.startedAt == nil })
        }
    }

    @Test(
        "exit codes, timeouts and spawn failures become the right failures",
        arguments: [
            (ProcessTermination.exited(3), JobFailure.Code.nonzeroExit, 3 as Int?),
            (.signalled(9), .nonzeroExit, nil),
            (.timedOut, .timeout, nil),
            (.spawnFailed("not found"), .spawnFailed, nil),
            (.memoryLimit(bytes: 64 << 20), .memoryLimit, nil),
            (.tasksLimit(tasks: 20, exitCode: 2), .tasksLimit, 2),
        ])
    func failures(termination: ProcessTermination, code: JobFailure.Code, exitCode: Int?) async throws {
        let events = EventLog()
        let disposition = try await runJob(ScriptedRunner(termination: termination), events: events)(dispatch)
        guard case .reported(.failed(let reportedCode, let failure)) = disposition else {
            Issue.record("\(disposition)")
            return
        }
        #expect(failure.code == code && reportedCode == exitCode)
    }

    @Test("what the run has used so far travels with the output reports while it runs")
    func usageWhileRunning() async throws {
        let events = EventLog()
        let early = ResourceUsage(cpuUserSeconds: 0.1, memoryPeakBytes: 1 << 20, tasksPeak: 1)
        let runner = MeasuringRunner(samples: [early], runFor: .milliseconds(300))
        _ = try await runJob(ScriptedRunner(), events: events)(dispatch)  // warm-up: nothing measured
        let measured = EventLog()
        _ = try await RunJob(
            events: measured, stopSignal: InMemoryStopSignal(), stops: StopRegistry(), runner: runner, clock: SystemClock(),
            ids: RandomIDGenerator(), allowlist: .standard, workerID: "w1", flushInterval: .milliseconds(20),
            startedDelay: .zero)(dispatch, redelivered: false)
        let outputs = measured.all.filter { if case .output = $0.kind { true } else { false } }
        // Sent once (it did not change after), with an empty chunk: no output was printed.
        #expect(outputs.count == 1 && outputs.first?.usage == early)
        #expect(outputs.first?.kind == .output(OutputChunk()))
        #expect(events.all.allSatisfy { $0.usage == nil })
    }

    @Test("what the run used travels with its finish")
    func usageReported() async throws {
        let events = EventLog()
        let usage = ResourceUsage(cpuUserSeconds: 0.5, cpuSystemSeconds: 0.25, memoryPeakBytes: 1 << 20, tasksPeak: 3)
        _ = try await runJob(ScriptedRunner(usage: usage), events: events)(dispatch)
        #expect(events.all.last?.usage == usage)
        #expect(events.all.dropLast().allSatisfy { $0.usage == nil })
    }

    @Test("a job stopped before it started is reported cancelled and never run")
    func stoppedBefore() async throws {
        let events = EventLog()
        let signal = InMemoryStopSignal()
        try await signal.mark(dispatch.jobID, ttlSeconds: 60)
        let runner = ScriptedRunner()
        #expect(try await runJob(runner, events: events, stopSignal: signal)(dispatch) == .reported(.cancelled(exitCode: nil)))
        #expect(runner.started.withLock { $0 } == 0)
        #expect(events.all.count == 1)
    }

    @Test("a stop heard on the broadcast while it runs kills it and reports cancelled")
    func stoppedWhileRunning() async throws {
        let events = EventLog()
        let stops = StopRegistry()
        let runner = ScriptedRunner(runFor: .seconds(30))
        let run = Task { try await runJob(runner, events: events, stops: stops)(dispatch) }
        try await Task.sleep(for: .milliseconds(50))
        await stops.record(dispatch.jobID, at: Date())
        #expect(try await run.value == .reported(.cancelled(exitCode: nil)))
    }

    @Test("a command this worker does not allow is refused without running")
    func notAllowed() async throws {
        let events = EventLog()
        let runner = ScriptedRunner()
        let disposition = try await runJob(runner, events: events, allowlist: CommandAllowlist(["true"]))(dispatch)
        guard case .reported(.failed(_, let failure)) = disposition else {
            Issue.record("\(disposition)")
            return
        }
        #expect(failure.code == .spawnFailed && runner.started.withLock { $0 } == 0)
    }

    @Test("shutdown abandons the run without reporting an outcome, so another worker takes it")
    func shutdown() async throws {
        let events = EventLog()
        let run = Task { try await runJob(ScriptedRunner(runFor: .seconds(30)), events: events)(dispatch) }
        try await Task.sleep(for: .milliseconds(50))
        run.cancel()
        #expect(try await run.value == .abandoned)
        #expect(!events.all.contains { if case .finished = $0.kind { true } else { false } })
    }
}
