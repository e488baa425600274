public import Domain
public import Ports

/// How far a client has followed one job: the job's version it has seen, and how much
/// of which run's output. It is the SSE event id, so a reconnecting client says exactly
/// where it stands, and the next events start right after it: nothing repeated, nothing
/// skipped — the store, not a buffer, is what is replayed from.
public struct JobFeedPosition: Hashable, Sendable {
    public var version: Int
    /// The run whose output the client holds (output starts over with each delivery).
    public var attempts: Int
    public var deliveries: Int
    /// UTF-8 bytes of each stream the client holds.
    public var stdoutBytes: Int
    public var stderrBytes: Int

    public static let start = JobFeedPosition(version: 0, attempts: 0, deliveries: 0, stdoutBytes: 0, stderrBytes: 0)

    public init(version: Int, attempts: Int, deliveries: Int, stdoutBytes: Int, stderrBytes: Int) {
        self.version = version
        self.attempts = attempts
        self.deliveries = deliveries
        self.stdoutBytes = stdoutBytes
        self.stderrBytes = stderrBytes
    }

    /// `version.attempts.deliveries.stdoutBytes.stderrBytes`, e.g. `4.1.1.120.0`.
    public var eventID: String { "\(version).\(attempts).\(deliveries).\(stdoutBytes).\(stderrBytes)" }

    /// Parses an `eventID`; nil for anything else.
    public init?(eventID: String) {
        let parts = eventID.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 5, parts.allSatisfy({ (1...18).contains($0.count) && $0.allSatisfy(\.isASCII) }) else { return nil }
        let numbers = parts.compactMap { Int($0) }
        guard numbers.count == 5, numbers.allSatisfy({ $0 >= 0 }) else { return nil }
        self.init(
            version: numbers[0], attempts: numbers[1], deliveries: numbers[2], stdoutBytes: numbers[3], stderrBytes: numbers[4])
    }
}

/// What a follower of one job is told.
public enum JobFeedEvent: Hashable, Sendable {
    public enum Stream: String, Hashable, Sendable { case stdout, stderr }

    /// The output the client holds is of an earlier run: discard it, a new run's follows.
    case reset(attempt: Int, position: JobFeedPosition)
    case output(Stream, String, position: JobFeedPosition)
    /// The job changed (status, attempts, exit code, timings…).
    case status(Job, position: JobFeedPosition)
    /// Nothing happened; say so, so that proxies keep the stream open.
    case heartbeat

    public var position: JobFeedPosition? {
        switch self {
        case .reset(_, let position), .output(_, _, let position), .status(_, let position): position
        case .heartbeat: nil
        }
    }
}

extension JobFeedPosition {
    /// The events that bring a client at this position up to `snapshot`, in the order
    /// they happened: a reset (a new run began), then new output, then the job's new
    /// state — so the final status is always the last event. States in between two
    /// readings are not replayed: the job's latest state stands for them.
    public func events(toward snapshot: JobSnapshot) -> (events: [JobFeedEvent], position: JobFeedPosition) {
        let job = snapshot.job
        var position = self
        var events: [JobFeedEvent] = []
        let stdout = Array(snapshot.output.stdout.utf8)
        let stderr = Array(snapshot.output.stderr.utf8)
        // A retry waiting to run (deliveries back to 0) still shows the last run's output.
        let sameRun = job.attempts == attempts && (job.deliveries == deliveries || job.deliveries == 0)
        if !sameRun || stdout.count < stdoutBytes || stderr.count < stderrBytes {
            let held = stdoutBytes > 0 || stderrBytes > 0
            position.attempts = job.attempts
            if job.deliveries != 0 || !sameRun { position.deliveries = job.deliveries }
            position.stdoutBytes = 0
            position.stderrBytes = 0
            if held { events.append(.reset(attempt: job.attempts, position: position)) }
        }
        if stdout.count > position.stdoutBytes {
            let text = String(decoding: stdout[position.stdoutBytes...], as: UTF8.self)
            position.stdoutBytes = stdout.count
            events.append(.output(.stdout, text, position: position))
        }
        if stderr.count > position.stderrBytes {
            let text = String(decoding: stderr[position.stderrBytes...], as: UTF8.self)
            position.stderrBytes = stderr.count
            events.append(.output(.stderr, text, position: position))
        }
        if job.version > position.version {
            position.version = job.version
            events.append(.status(job, position: position))
        }
        return (events, position)
    }
}
