import Foundation

/// What an executor does when not told otherwise.
public enum ExecutorDefaults {
    /// Jobs run at once (and the RabbitMQ prefetch): 8 per core, at least 4 and at most
    /// 64. Most jobs wait more than they compute (I/O, sleeps, short programs), and a
    /// worker that runs one per core leaves the machine idle on them; a job's own
    /// limits bound what each may take.
    public static var concurrency: Int { min(64, max(4, 8 * ProcessInfo.processInfo.activeProcessorCount)) }
}
