import Application
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

    /// A run's limits: every one present and within what any deployment can enforce.
    static func limits(_ value: JSONValue) -> RunLimits? {
        guard let memory = value["memory_bytes"]?.int, let cpu = value["cpu"]?.double, let tasks = value["tasks"]?.int,
            RunLimits.memoryBytesRange.contains(memory), cpu.isFinite, RunLimits.cpuRange.contains(cpu),
            RunLimits.tasksRange.contains(tasks)
        else { return nil }
        return RunLimits(memoryBytes: memory, cpu: cpu, tasks: tasks)
    }

    /// A run's usage: every figure present, finite, and from 0 to 2^53 (seconds,
    /// bytes, tasks); anything else is not a usage.
    static func usage(_ value: JSONValue) -> ResourceUsage? {
        func figure(_ key: String) -> Double? {
            guard let number = value[key]?.double, number.isFinite, (0...9.007_199_254_740_992e15).contains(number) else {
                return nil
            }
            return number
        }
        func whole(_ key: String) -> Int? { value[key]?.int.flatMap { (0...(1 << 53)).contains($0) ? $0 : nil } }
        guard let user = figure("cpu_user_seconds"), let system = figure("cpu_system_seconds"),
            let memory = whole("memory_peak_bytes"), let tasks = whole("tasks_peak"), tasks <= Int(Int32.max),
            let read = whole("io_read_bytes"),
            let written = whole("io_write_bytes")
        else { return nil }
        return ResourceUsage(
            cpuUserSeconds: user, cpuSystemSeconds: system, memoryPeakBytes: memory, tasksPeak: tasks, ioReadBytes: read,
            ioWriteBytes: written)
    }

    /// One artifact of a finish: a name the rules allow, an attempt in range, and either
    /// a size (0 to 2^53) with a SHA-256 in lowercase hex, or the reason it was not kept
    /// (cleaned and cut to 1 KiB, since the store keeps it and the owner reads it).
    static func artifact(_ value: JSONValue) -> JobArtifact? {
        guard let name = value["name"]?.string, ArtifactRules.problem(with: name) == nil,
            let attempt = value["attempt"]?.int, attempts.contains(attempt)
        else { return nil }
        if let error = value["error"]?.string {
            let reason = prefix(OutputText.clean(error), bytes: 1024)
            return .missing(name, attempt: attempt, because: reason.isEmpty ? "not kept" : reason)
        }
        guard let size = value["size"]?.int, (0...(1 << 53)).contains(size), let digest = value["sha256"]?.string,
            digest.utf8.count == 64, digest.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else { return nil }
        return .kept(name, attempt: attempt, size: Int64(size), sha256: digest)
    }

    /// At most `bytes` bytes of `text`, cut on a character boundary.
    static func prefix(_ text: String, bytes: Int) -> String { String(OutputText.prefix(text, maxBytes: bytes)) }
}
