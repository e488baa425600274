public import Domain
import Foundation
public import Ports

/// The executor's work for one dispatch: refuse it if it was stopped or is not
/// allowed here, report `started`, run the program while sending its output about
/// every `flushInterval` and watching for a stop, then report how it ended.
/// The caller acknowledges the message only after `.reported`; on `.abandoned`
/// (the worker is shutting down) it leaves it for another worker.
///
/// On a first delivery the program starts at once and `started` is published only once
/// it has run for `startedDelay`: a run that ends sooner reports its finish alone, with
/// the time it started (the finish of an attempt stands for its start), one message and
/// one broker round trip less on the way to its result. Nothing else about a run is
/// published before its `started` is confirmed. A redelivered dispatch reports
/// `started`, confirmed, before the program starts: the count of unfinished deliveries
/// that ends a job `worker_lost` rests on those reports, so a program that takes its
/// worker down at once is counted from its second delivery on.
public struct RunJob: Sendable {
    let events: any JobEventPublisher
    let stopSignal: any StopSignal
    let stops: StopRegistry
    let runner: any ProcessRunner
    let clock: any WallClock
    let ids: any IDGenerator
    let allowlist: CommandAllowlist
    let workerID: String
    let flushInterval: Duration
    let startedDelay: Duration
    let artifacts: (any ArtifactSink)?
    let artifactMaxBytes: Int64

    /// `artifacts`: where the files a job keeps go (nil: nowhere, and no file is copied
    /// out of a run); `artifactMaxBytes`: the most one file may hold.
    public init(
        events: any JobEventPublisher, stopSignal: any StopSignal, stops: StopRegistry, runner: any ProcessRunner,
        clock: any WallClock, ids: any IDGenerator, allowlist: CommandAllowlist, workerID: String,
        flushInterval: Duration = .seconds(1), startedDelay: Duration = .milliseconds(50),
        artifacts: (any ArtifactSink)? = nil, artifactMaxBytes: Int64 = 100 << 20
    ) {
        self.artifacts = artifacts
        self.artifactMaxBytes = artifactMaxBytes
        self.startedDelay = startedDelay
        self.events = events
        self.stopSignal = stopSignal
        self.stops = stops
        self.runner = runner
        self.clock = clock
        self.ids = ids
        self.allowlist = allowlist
        self.workerID = workerID
        self.flushInterval = flushInterval
    }

    public enum Disposition: Hashable, Sendable {
        /// The outcome was reported and confirmed: acknowledge the dispatch.
        case reported(RunOutcome)
        /// Shutdown interrupted the run: leave the dispatch for another worker.
        case abandoned
    }

    /// `redelivered`: whether the broker delivered this dispatch before (true when not known).
    public func callAsFunction(_ dispatch: JobDispatch, redelivered: Bool = true) async throws -> Disposition {
        if await stopRequested(dispatch.jobID) {
            return try await report(dispatch, .cancelled(exitCode: nil), output: OutputChunk())
        }
        guard allowlist.allows(dispatch.command) else {
            let failure = JobFailure(code: .spawnFailed, message: "command '\(dispatch.command)' is not allowed on this worker")
            return try await report(dispatch, .failed(exitCode: nil, failure: failure), output: OutputChunk())
        }
        // Inputs first: a run whose files cannot be had fails before it starts, saying which.
        let inputs: [StagedInput]
        do throws(InputFetchFailure) {
            inputs = try await fetchInputs(dispatch)
        } catch {
            let failure = JobFailure(code: .spawnFailed, message: error.message)
            return try await report(dispatch, .failed(exitCode: nil, failure: failure), output: OutputChunk())
        }
        let started = StartedReport()
        let runStart = clock.now()
        if redelivered {
            try await publish(dispatch, .started)
        } else {
            await started.begin(after: startedDelay) { try await publish(dispatch, .started) }
        }

        let buffer = OutputBuffer()
        let stoppedByRequest = Flag()
        let spec = ProcessSpec(
            command: dispatch.command, args: dispatch.args, timeoutSeconds: dispatch.timeoutSeconds, limits: dispatch.limits,
            keep: artifacts == nil ? [] : dispatch.artifacts, keepMaxBytes: artifactMaxBytes,
            fullLogMaxBytes: artifacts == nil ? 0 : artifactMaxBytes, inputs: inputs)
        let result = await withTaskGroup(of: ProcessResult?.self) { group in
            group.addTask { [runner] in
                await runner.run(spec, onOutput: { await buffer.append($0) }, onUsage: { await buffer.measured($0) })
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: flushInterval)
                    if Task.isCancelled { break }
                    let chunk = await buffer.take()
                    let used = await buffer.takeUsage()
                    if !chunk.isEmpty || used != nil {
                        _ = await started.confirmed()  // output after its `started`, never before
                        try? await publish(dispatch, .output(chunk), usage: used)
                    }
                    if await stopRequested(dispatch.jobID) {
                        await stoppedByRequest.set()
                        return nil
                    }
                }
                return nil
            }
            var result: ProcessResult?
            while let next = await group.next() {
                if let next {
                    result = next
                    group.cancelAll()
                } else if result == nil, await stoppedByRequest.isSet {
                    group.cancelAll()
                }
            }
            return result ?? ProcessResult(.stopped)
        }
        await artifacts?.release(inputs)
        // A `started` not sent (or not confirmed) is no reason to run the job again: the
        // finish of an attempt stands for its start.
        let startedReported = await started.withdrawOrConfirm()
        let rest = await buffer.take()
        guard let outcome = await outcome(of: result.termination, dispatch: dispatch, stopped: stoppedByRequest.isSet) else {
            artifacts?.discard(result.kept + result.logs)
            return .abandoned
        }
        // Stored before the finish is reported: a final job's artifacts and full logs are there.
        await artifacts?.storeLogs(result.logs, job: dispatch.jobID, attempt: dispatch.attempt)
        let stored =
            await artifacts?.store(result.kept, job: dispatch.jobID, attempt: dispatch.attempt)
            ?? dispatch.artifacts.map {
                .missing($0, attempt: dispatch.attempt, because: "no object storage is configured on the worker")
            }
        return try await report(
            dispatch, outcome, output: rest, startedAt: startedReported ? nil : runStart, usage: result.usage,
            artifacts: stored)
    }

    private func fetchInputs(_ dispatch: JobDispatch) async throws(InputFetchFailure) -> [StagedInput] {
        guard !dispatch.inputs.isEmpty else { return [] }
        guard let artifacts else {
            throw InputFetchFailure("no object storage is configured on the worker, so it has no input files")
        }
        return try await artifacts.fetch(dispatch.inputs, maxBytes: artifactMaxBytes)
    }

    private func outcome(of termination: ProcessTermination, dispatch: JobDispatch, stopped: Bool) async -> RunOutcome? {
        switch termination {
        case .exited(0):
            return .succeeded
        case .exited(let code):
            return .failed(exitCode: Int(code), failure: JobFailure(code: .nonzeroExit, message: "exited with status \(code)"))
        case .signalled(let signal):
            return .failed(exitCode: nil, failure: JobFailure(code: .nonzeroExit, message: "killed by signal \(signal)"))
        case .timedOut:
            return .failed(
                exitCode: nil, failure: JobFailure(code: .timeout, message: "ran longer than \(dispatch.timeoutSeconds) seconds"))
        case .spawnFailed(let reason):
            return .failed(exitCode: nil, failure: JobFailure(code: .spawnFailed, message: reason))
        case .stopped:
            return stopped ? .cancelled(exitCode: nil) : nil
        case .memoryLimit(let bytes):
            return .failed(
                exitCode: nil,
                failure: JobFailure(code: .memoryLimit, message: "killed at its memory limit of \(bytes) bytes"))
        case .tasksLimit(let tasks, let exitCode):
            return .failed(
                exitCode: exitCode.map(Int.init),
                failure: JobFailure(
                    code: .tasksLimit,
                    message: "failed after being refused a new process or thread at its limit of \(tasks) tasks"))
        }
    }

    private func stopRequested(_ job: JobID) async -> Bool {
        if await stops.contains(job) { return true }
        // Without Redis the broadcast alone carries stops; the marker is a fast path.
        return (try? await stopSignal.isMarked(job)) ?? false
    }

    private func report(
        _ dispatch: JobDispatch, _ outcome: RunOutcome, output: OutputChunk, startedAt: Date? = nil,
        usage: ResourceUsage? = nil, artifacts: [JobArtifact] = []
    ) async throws -> Disposition {
        try await publish(
            dispatch, .finished(outcome, output: output), startedAt: startedAt, usage: usage, artifacts: artifacts)
        return .reported(outcome)
    }

    private func publish(
        _ dispatch: JobDispatch, _ kind: JobEvent.Kind, startedAt: Date? = nil, usage: ResourceUsage? = nil,
        artifacts: [JobArtifact] = []
    ) async throws {
        try await events.publish(
            JobEvent(
                eventID: ids.next(), jobID: dispatch.jobID, attempt: dispatch.attempt, workerID: workerID,
                occurredAt: clock.now(), kind: kind, startedAt: startedAt, usage: usage, artifacts: artifacts,
                trace: dispatch.trace))
    }
}

/// The `started` report of a first delivery: sent once the program has run for a
/// while, withdrawn if it ends sooner.
actor StartedReport {
    private enum State {
        /// Nothing to send (a redelivery reported `started` itself), or not yet begun.
        case none
        case waiting
        case publishing
        case withdrawn
    }

    private var state = State.none
    private var publish: Task<Bool, Never>?

    func begin(after delay: Duration, _ body: @escaping @Sendable () async throws -> Void) {
        state = .waiting
        publish = Task {
            try? await Task.sleep(for: delay)
            guard await self.claim() else { return false }
            do {
                try await body()
                return true
            } catch {
                return false
            }
        }
    }

    private func claim() -> Bool {
        guard state == .waiting else { return false }
        state = .publishing
        return true
    }

    /// Waits for the report (if one is on its way); whether it was confirmed (true when
    /// there is none to wait for).
    func confirmed() async -> Bool { await publish?.value ?? true }

    /// At the end of the run: withdraws a report still waiting for its delay (false:
    /// the finish must carry the start), or waits for the one sent (whether confirmed).
    func withdrawOrConfirm() async -> Bool {
        if state == .waiting {
            state = .withdrawn
            publish?.cancel()
            return false
        }
        return await confirmed()
    }
}

/// A one-way latch shared between the tasks of one run.
actor Flag {
    private(set) var isSet = false
    func set() { isSet = true }
}
