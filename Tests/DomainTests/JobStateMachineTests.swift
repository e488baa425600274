import Domain
import Foundation
import Testing

/// Builders for jobs and worker reports at fixed times.
enum Fixture {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let owner = UserID(UUID())

    static func job(runAt: Date? = nil, maxAttempts: Int = 1, now: Date = t0) -> Job {
        Job(
            id: JobID(UUID()), ownerID: owner,
            request: try! JobRequest(command: "echo", args: ["hi"], runAt: runAt, maxAttempts: maxAttempts),
            idempotencyKey: nil, now: now)
    }

    static func event(_ job: Job, _ kind: JobEvent.Kind, attempt: Int? = nil, worker: String = "w1", at: Date = t0) -> JobEvent {
        JobEvent(
            eventID: UUID(), jobID: job.id, attempt: attempt ?? job.attempts + (job.status == .running ? 0 : 1),
            workerID: worker, occurredAt: at, kind: kind)
    }

    static let noDelay: @Sendable (Int) -> Double = { _ in 10 }
}

@Suite("The job state machine")
struct JobStateMachineTests {
    let now = Fixture.t0.addingTimeInterval(1)

    @Test("a job without run_at, or with one in the past, is queued; a future one is scheduled")
    func initialStatus() {
        #expect(Fixture.job().status == .queued)
        #expect(Fixture.job(runAt: Fixture.t0.addingTimeInterval(-60)).status == .queued)
        let scheduled = Fixture.job(runAt: Fixture.t0.addingTimeInterval(60))
        #expect(scheduled.status == .scheduled && scheduled.runAt == Fixture.t0.addingTimeInterval(60))
    }

    @Test("scheduled → queued only once due")
    func promote() throws {
        var job = Fixture.job(runAt: Fixture.t0.addingTimeInterval(60))
        #expect(throws: JobTransitionError.notDue) { try job.promote(now: Fixture.t0.addingTimeInterval(59)) }
        try job.promote(now: Fixture.t0.addingTimeInterval(60))
        #expect(job.status == .queued && job.version == 2)
        #expect(throws: JobTransitionError.illegal(from: .queued, to: .queued)) { try job.promote(now: now) }
    }

    @Test("queued → running → succeeded")
    func happyPath() {
        var job = Fixture.job()
        #expect(job.apply(Fixture.event(job, .started), now: now, retryDelay: Fixture.noDelay) == .started)
        #expect(job.status == .running && job.attempts == 1 && job.startedAt != nil && job.workerID == "w1")
        let chunk = OutputChunk(stdout: "hi\n")
        #expect(job.apply(Fixture.event(job, .output(chunk)), now: now, retryDelay: Fixture.noDelay) == .outputAppended(chunk))
        let effect = job.apply(
            Fixture.event(job, .finished(.succeeded, output: OutputChunk())), now: now, retryDelay: Fixture.noDelay)
        #expect(effect == .finished(.succeeded, output: OutputChunk(), resetOutputFirst: false))
        #expect(job.status == .succeeded && job.exitCode == 0 && job.failure == nil && job.finishedAt == now)
    }

    @Test("running → failed when no attempts are left")
    func failure() {
        var job = Fixture.job()
        _ = job.apply(Fixture.event(job, .started), now: now, retryDelay: Fixture.noDelay)
        let failure = JobFailure(code: .nonzeroExit, message: "exited with status 3")
        _ = job.apply(
            Fixture.event(job, .finished(.failed(exitCode: 3, failure: failure), output: OutputChunk())),
            now: now, retryDelay: Fixture.noDelay)
        #expect(job.status == .failed && job.exitCode == 3 && job.failure == failure)
    }

    @Test("running → scheduled with backoff while attempts remain, then the next attempt runs")
    func retry() throws {
        var job = Fixture.job(maxAttempts: 2)
        _ = job.apply(Fixture.event(job, .started), now: now, retryDelay: Fixture.noDelay)
        let timeout = JobFailure(code: .timeout, message: "ran longer than 300 seconds")
        var askedFor: Int?
        let effect = job.apply(
            Fixture.event(job, .finished(.failed(exitCode: nil, failure: timeout), output: OutputChunk())),
            now: now,
            retryDelay: {
                askedFor = $0
                return 12.5
            })
        #expect(askedFor == 1)
        #expect(effect == .retryScheduled(at: now.addingTimeInterval(12.5), output: OutputChunk()))
        #expect(job.status == .scheduled && job.runAt == now.addingTimeInterval(12.5) && job.failure == timeout)
        try job.promote(now: now.addingTimeInterval(13))
        #expect(job.status == .queued)
        #expect(job.apply(Fixture.event(job, .started, attempt: 2), now: now, retryDelay: Fixture.noDelay) == .started)
        #expect(job.attempts == 2 && job.failure == nil)
        let effect2 = job.apply(
            Fixture.event(job, .finished(.failed(exitCode: nil, failure: timeout), output: OutputChunk())),
            now: now, retryDelay: Fixture.noDelay)
        #expect(effect2 == .finished(.failed, output: OutputChunk(), resetOutputFirst: false))
    }

    @Test("stop: scheduled and queued jobs are cancelled at once; running ones are marked")
    func stop() throws {
        var queued = Fixture.job()
        #expect(try queued.requestStop(now: now) == .cancelled)
        #expect(queued.status == .cancelled && queued.failure?.code == .stopped && queued.stopRequestedAt == now)

        var scheduled = Fixture.job(runAt: Fixture.t0.addingTimeInterval(600))
        #expect(try scheduled.requestStop(now: now) == .cancelled)
        #expect(scheduled.status == .cancelled)

        var running = Fixture.job()
        _ = running.apply(Fixture.event(running, .started), now: now, retryDelay: Fixture.noDelay)
        #expect(try running.requestStop(now: now) == .stopRequested)
        #expect(running.status == .running && running.stopRequestedAt == now)
        // Asking again keeps the first request time.
        #expect(try running.requestStop(now: now.addingTimeInterval(5)) == .stopRequested)
        #expect(running.stopRequestedAt == now)
        _ = running.apply(
            Fixture.event(running, .finished(.cancelled(exitCode: nil), output: OutputChunk())), now: now,
            retryDelay: Fixture.noDelay)
        #expect(running.status == .cancelled)
    }

    @Test("a stopped job that then fails is cancelled, never retried")
    func stopWinsOverRetry() throws {
        var job = Fixture.job(maxAttempts: 3)
        _ = job.apply(Fixture.event(job, .started), now: now, retryDelay: Fixture.noDelay)
        _ = try job.requestStop(now: now)
        let failure = JobFailure(code: .nonzeroExit, message: "killed by signal 15")
        _ = job.apply(
            Fixture.event(job, .finished(.failed(exitCode: nil, failure: failure), output: OutputChunk())), now: now,
            retryDelay: Fixture.noDelay)
        #expect(job.status == .cancelled && job.failure?.code == .stopped)
    }

    @Test("final states are absorbing", arguments: [JobStatus.succeeded, .failed, .cancelled])
    func absorbing(final: JobStatus) throws {
        var job = Fixture.job()
        switch final {
        case .cancelled: _ = try job.requestStop(now: now)
        default:
            _ = job.apply(Fixture.event(job, .started), now: now, retryDelay: Fixture.noDelay)
            let outcome: RunOutcome =
                final == .succeeded ? .succeeded : .failed(exitCode: 1, failure: JobFailure(code: .nonzeroExit, message: "1"))
            _ = job.apply(Fixture.event(job, .finished(outcome, output: OutputChunk())), now: now, retryDelay: Fixture.noDelay)
        }
        #expect(job.status == final)
        let before = job
        #expect(throws: JobTransitionError.alreadyFinal(final)) { try job.requestStop(now: now) }
        #expect(throws: JobTransitionError.alreadyFinal(final)) { try job.promote(now: now) }
        for kind: JobEvent.Kind in [.started, .output(OutputChunk(stdout: "x")), .finished(.succeeded, output: OutputChunk())] {
            for attempt in 0...3 {
                #expect(
                    job.apply(Fixture.event(job, kind, attempt: attempt, worker: "w9"), now: now, retryDelay: Fixture.noDelay)
                        == .ignored(.finalStatus))
            }
        }
        #expect(job == before)
    }

    @Test("reports of an older attempt change nothing")
    func staleAttempt() throws {
        var job = Fixture.job(maxAttempts: 2)
        _ = job.apply(Fixture.event(job, .started), now: now, retryDelay: Fixture.noDelay)
        _ = job.apply(
            Fixture.event(
                job, .finished(.failed(exitCode: 1, failure: JobFailure(code: .nonzeroExit, message: "1")), output: OutputChunk())
            ), now: now, retryDelay: Fixture.noDelay)
        try job.promote(now: now.addingTimeInterval(60))
        _ = job.apply(Fixture.event(job, .started, attempt: 2, worker: "w2"), now: now, retryDelay: Fixture.noDelay)
        let before = job
        #expect(
            job.apply(
                Fixture.event(job, .finished(.succeeded, output: OutputChunk()), attempt: 1), now: now,
                retryDelay: Fixture.noDelay) == .ignored(.staleAttempt))
        #expect(
            job.apply(Fixture.event(job, .output(OutputChunk(stdout: "late")), attempt: 1), now: now, retryDelay: Fixture.noDelay)
                == .ignored(.staleAttempt))
        #expect(job == before)
    }

    @Test("a duplicate start, another worker's output, and out-of-order reports are ignored")
    func duplicates() {
        var job = Fixture.job()
        _ = job.apply(Fixture.event(job, .started), now: now, retryDelay: Fixture.noDelay)
        let before = job
        #expect(
            job.apply(Fixture.event(job, .started, attempt: 1), now: now, retryDelay: Fixture.noDelay) == .ignored(.duplicate))
        #expect(
            job.apply(Fixture.event(job, .output(OutputChunk(stdout: "x")), worker: "w2"), now: now, retryDelay: Fixture.noDelay)
                == .ignored(.otherWorker))
        #expect(
            job.apply(
                Fixture.event(job, .finished(.succeeded, output: OutputChunk()), worker: "w2"), now: now,
                retryDelay: Fixture.noDelay) == .ignored(.otherWorker))
        #expect(
            job.apply(Fixture.event(job, .started, attempt: 5), now: now, retryDelay: Fixture.noDelay) == .ignored(.unexpected))
        #expect(job == before)

        var queued = Fixture.job()
        #expect(
            queued.apply(Fixture.event(queued, .output(OutputChunk(stdout: "x"))), now: now, retryDelay: Fixture.noDelay)
                == .ignored(.unexpected))
        var scheduled = Fixture.job(runAt: Fixture.t0.addingTimeInterval(600))
        #expect(
            scheduled.apply(Fixture.event(scheduled, .started), now: now, retryDelay: Fixture.noDelay) == .ignored(.unexpected))
        #expect(queued.status == .queued && scheduled.status == .scheduled)
    }

    @Test("a finish whose start was lost implies the start")
    func implicitStart() {
        var job = Fixture.job()
        let effect = job.apply(
            Fixture.event(job, .finished(.succeeded, output: OutputChunk(stdout: "all"))), now: now, retryDelay: Fixture.noDelay)
        #expect(effect == .finished(.succeeded, output: OutputChunk(stdout: "all"), resetOutputFirst: true))
        #expect(job.status == .succeeded && job.attempts == 1 && job.startedAt != nil)
    }

    @Test("an output report with what the run has used so far updates the job's usage (and its version)")
    func usageWhileRunning() {
        var job = Fixture.job()
        _ = job.apply(Fixture.event(job, .started), now: now, retryDelay: Fixture.noDelay)
        let version = job.version
        let used = ResourceUsage(cpuUserSeconds: 1, memoryPeakBytes: 4096, tasksPeak: 2)
        let report = JobEvent(
            eventID: UUID(), jobID: job.id, attempt: 1, workerID: "w1", occurredAt: Fixture.t0,
            kind: .output(OutputChunk()), usage: used)
        #expect(job.apply(report, now: now, retryDelay: Fixture.noDelay) == .outputAppended(OutputChunk()))
        #expect(job.usage == used && job.version == version + 1)
        // The same again changes nothing more.
        _ = job.apply(report, now: now, retryDelay: Fixture.noDelay)
        #expect(job.version == version + 1)
    }

    @Test("a finish reported alone carries its run's start, which becomes started_at")
    func foldedStart() {
        var job = Fixture.job()
        let start = Fixture.t0.addingTimeInterval(0.5)
        let finish = JobEvent(
            eventID: UUID(), jobID: job.id, attempt: 1, workerID: "w1", occurredAt: Fixture.t0.addingTimeInterval(0.9),
            kind: .finished(.succeeded, output: OutputChunk()), startedAt: start)
        _ = job.apply(finish, now: now, retryDelay: Fixture.noDelay)
        #expect(job.status == .succeeded && job.startedAt == start)
    }

    @Test("a redelivery to another worker restarts; after three unfinished deliveries the job fails worker_lost")
    func workerLost() {
        var job = Fixture.job(maxAttempts: 5)
        #expect(job.apply(Fixture.event(job, .started, worker: "w1"), now: now, retryDelay: Fixture.noDelay) == .started)
        #expect(job.apply(Fixture.event(job, .started, worker: "w2"), now: now, retryDelay: Fixture.noDelay) == .restarted)
        #expect(job.deliveries == 2 && job.workerID == "w2")
        #expect(job.apply(Fixture.event(job, .started, worker: "w3"), now: now, retryDelay: Fixture.noDelay) == .restarted)
        #expect(job.deliveries == 3)
        #expect(job.apply(Fixture.event(job, .started, worker: "w4"), now: now, retryDelay: Fixture.noDelay) == .workerLost)
        #expect(job.status == .failed && job.failure?.code == .workerLost && job.attempts == 1)
    }

    @Test("every change bumps the version and the update time")
    func versions() throws {
        var job = Fixture.job(runAt: Fixture.t0.addingTimeInterval(10))
        let later = Fixture.t0.addingTimeInterval(20)
        try job.promote(now: later)
        #expect(job.version == 2 && job.updatedAt == later)
        _ = job.apply(Fixture.event(job, .started), now: later, retryDelay: Fixture.noDelay)
        #expect(job.version == 3)
        _ = job.apply(Fixture.event(job, .output(OutputChunk(stdout: "x"))), now: later, retryDelay: Fixture.noDelay)
        #expect(job.version == 3)  // output lives outside the job row
    }

    @Test("idempotency compares the request after defaults")
    func wasMadeFrom() throws {
        let request = try JobRequest(command: "echo", args: ["hi"])
        let job = Job(id: JobID(UUID()), ownerID: Fixture.owner, request: request, idempotencyKey: "k", now: Fixture.t0)
        #expect(job.wasMade(from: try JobRequest(command: "echo", args: ["hi"], priority: 0, timeoutSeconds: 300)))
        #expect(!job.wasMade(from: try JobRequest(command: "echo", args: ["hi"], priority: 1)))
        #expect(!job.wasMade(from: try JobRequest(command: "echo", args: ["hi"], runAt: Fixture.t0)))
    }
}
