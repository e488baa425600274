public import Foundation

/// Output captured from a running program: new text since the last chunk, with the
/// byte offsets at which it starts in each stream. The offsets make appending
/// idempotent: a chunk delivered twice is recognised and added once.
public struct OutputChunk: Hashable, Sendable, Codable {
    public var stdout: String
    public var stderr: String
    public var stdoutOffset: Int
    public var stderrOffset: Int
    /// Set once a stream passed its cap: from then on its output was discarded.
    public var truncated: Bool

    public init(stdout: String = "", stderr: String = "", stdoutOffset: Int = 0, stderrOffset: Int = 0, truncated: Bool = false) {
        self.stdout = stdout
        self.stderr = stderr
        self.stdoutOffset = stdoutOffset
        self.stderrOffset = stderrOffset
        self.truncated = truncated
    }

    public var isEmpty: Bool { stdout.isEmpty && stderr.isEmpty && !truncated }
}

/// What a job's program printed in its latest delivery.
public struct JobOutput: Hashable, Sendable, Codable {
    public var stdout: String
    public var stderr: String
    public var truncated: Bool

    public init(stdout: String = "", stderr: String = "", truncated: Bool = false) {
        self.stdout = stdout
        self.stderr = stderr
        self.truncated = truncated
    }

    /// Appends a chunk, skipping whatever part of it is already stored (by offset) and
    /// keeping each stream within `limit` bytes (the worker caps too; this guards the
    /// store against a worker that does not).
    public mutating func append(_ chunk: OutputChunk, limit: Int) {
        truncated = truncated || chunk.truncated
        stdout = Self.appending(chunk.stdout, at: chunk.stdoutOffset, to: stdout, limit: limit, truncated: &truncated)
        stderr = Self.appending(chunk.stderr, at: chunk.stderrOffset, to: stderr, limit: limit, truncated: &truncated)
    }

    private static func appending(_ text: String, at offset: Int, to base: String, limit: Int, truncated: inout Bool) -> String {
        let stored = base.utf8.count
        var text = Substring(text)
        if offset < stored {
            // Some or all of it was appended before (a redelivered event).
            let overlap = stored - offset
            guard overlap < text.utf8.count else { return base }
            let start = text.utf8.index(text.utf8.startIndex, offsetBy: overlap)
            guard let cut = String.Index(start, within: text) else { return base }
            text = text[cut...]
        }
        let room = limit - stored
        if text.utf8.count <= room { return base + text }
        truncated = true
        guard room > 0 else { return base }
        // Cut on a character boundary so the stored text stays valid UTF-8.
        return base + OutputText.prefix(text, maxBytes: room)
    }
}

/// How a run ended, as its worker saw it.
public enum RunOutcome: Hashable, Sendable, Codable {
    case succeeded
    case failed(exitCode: Int?, failure: JobFailure)
    case cancelled(exitCode: Int?)
}

/// A fact a worker reports about one delivery of one attempt of a job. Workers send
/// these at least once, possibly out of date; the state machine sorts them out.
public struct JobEvent: Hashable, Sendable, Codable {
    public enum Kind: Hashable, Sendable, Codable {
        case started
        case output(OutputChunk)
        /// `output` is whatever was printed since the last `output` event.
        case finished(RunOutcome, output: OutputChunk)
    }

    public let eventID: UUID
    public let jobID: JobID
    public let attempt: Int
    public let workerID: String
    public let occurredAt: Date
    public let kind: Kind
    /// On a finish reported without a `started` before it (a run shorter than the
    /// worker's started delay), when the program started; nil otherwise.
    public let startedAt: Date?
    /// On a finish: what the run used; on output: what it has used so far (when its
    /// worker measures it).
    public let usage: ResourceUsage?
    /// On a finish: the files the job declared, each kept or not (why not). Empty when
    /// it declared none or the program never ran.
    public let artifacts: [JobArtifact]
    /// The span of the run that reported it (docs/tracing.md); nil when not traced.
    public let trace: TraceParent?

    public init(
        eventID: UUID, jobID: JobID, attempt: Int, workerID: String, occurredAt: Date, kind: Kind, startedAt: Date? = nil,
        usage: ResourceUsage? = nil, artifacts: [JobArtifact] = [], trace: TraceParent? = nil
    ) {
        self.trace = trace
        self.usage = usage
        self.artifacts = artifacts
        self.eventID = eventID
        self.jobID = jobID
        self.attempt = attempt
        self.workerID = workerID
        self.occurredAt = occurredAt
        self.kind = kind
        self.startedAt = startedAt
    }
}

/// "Run attempt N of this job": the message the outbox relay publishes and a worker
/// consumes. It carries everything a worker needs, so workers never read the database.
public struct JobDispatch: Hashable, Sendable, Codable {
    public let eventID: UUID
    public let jobID: JobID
    public let attempt: Int
    public let command: String
    public let args: [String]
    public let priority: Int
    public let timeoutSeconds: Int
    public let occurredAt: Date
    /// The run's limits; nil: the worker's defaults.
    public let limits: RunLimits?
    /// Files to keep from the working directory when the program ends.
    public let artifacts: [String]
    /// Uploaded files to place in the working directory before the program starts.
    public let inputs: [InputPlacement]
    /// The span that caused this run (docs/tracing.md): the job's request, or whoever
    /// passed the dispatch on and traced that (the relay, the worker's run span).
    public private(set) var trace: TraceParent?

    public init(eventID: UUID, job: Job, occurredAt: Date) {
        self.trace = job.trace
        self.artifacts = job.artifacts
        self.inputs = job.inputs.map {
            InputPlacement(key: InputRules.objectKey(owner: job.ownerID, file: $0.file), path: $0.path)
        }
        self.eventID = eventID
        self.jobID = job.id
        self.attempt = job.attempts + 1
        self.command = job.command
        self.args = job.args
        self.priority = job.priority
        self.timeoutSeconds = job.timeoutSeconds
        self.occurredAt = occurredAt
        self.limits = job.limits
    }

    public init(
        eventID: UUID, jobID: JobID, attempt: Int, command: String, args: [String],
        priority: Int, timeoutSeconds: Int, occurredAt: Date, limits: RunLimits? = nil, artifacts: [String] = [],
        inputs: [InputPlacement] = [], trace: TraceParent? = nil
    ) {
        self.trace = trace
        self.inputs = inputs
        self.artifacts = artifacts
        self.limits = limits
        self.eventID = eventID
        self.jobID = jobID
        self.attempt = attempt
        self.command = command
        self.args = args
        self.priority = priority
        self.timeoutSeconds = timeoutSeconds
        self.occurredAt = occurredAt
    }
}

extension JobDispatch {
    /// The same dispatch, caused by `trace` instead (nil keeps the one it has).
    public func continuing(_ trace: TraceParent?) -> JobDispatch {
        guard let trace else { return self }
        var copy = self
        copy.trace = trace
        return copy
    }
}
