import Domain

/// The one rule for a worker id, which every report carries: 1 to 128 visible ASCII
/// characters. Consumers refuse reports with any other; a worker checks its own at start.
public enum WorkerIDRule {
    public static func isValid(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count) && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }
}

/// What a message on the queues may hold. Every number and string that arrives from the
/// broker (from any worker, ours or another's) is checked against these before use: a
/// message out of bounds is dead-lettered, never trusted, never a trap.
enum WireBounds {
    /// A message body: a report carries at most a second's output of each stream, and a
    /// stream is capped (64 MiB at most by configuration); a bound keeps a hostile
    /// publisher from making a consumer parse gigabytes.
    static let maxMessageBytes = 160 << 20
    /// Attempts are at most 10 by the API's rules; room for redeliveries and for change.
    static let attempts = 1...10_000
    /// Byte offsets in a job's output.
    static let offsets = 0...(1 << 40)
    /// Exit codes as the kernel reports them, and 128+signal by convention.
    static let exitCodes = Int(Int32.min)...Int(Int32.max)
    static let maxFailureMessageBytes = 4096

    static func isWorkerID(_ text: String) -> Bool { WorkerIDRule.isValid(text) }

    /// At most `bytes` bytes of `text`, cut on a character boundary.
    static func prefix(_ text: String, bytes: Int) -> String { String(OutputText.prefix(text, maxBytes: bytes)) }
}
