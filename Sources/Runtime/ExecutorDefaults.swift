import Foundation

/// What an executor does when not told otherwise.
public enum ExecutorDefaults {
    /// Jobs run at once (and the RabbitMQ prefetch): 16 per core, at least 4 and at most
    /// 64. A job spends most of its time waiting (on its program, on confirmations, on
    /// I/O), and a worker that runs one per core leaves the machine idle: on two cores,
    /// short jobs ran 355–400/s with 16 at once, 410–425 with 32, 435–460 with 64
    /// (BENCHMARKS.md). A job's own limits bound what each may take.
    public static var concurrency: Int { min(64, max(4, 16 * ProcessInfo.processInfo.activeProcessorCount)) }
}
