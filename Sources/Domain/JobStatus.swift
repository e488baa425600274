/// Where a job is in its life. `succeeded`, `failed` and `cancelled` are final and
/// absorbing: nothing moves a job out of them.
public enum JobStatus: String, Sendable, Codable, CaseIterable {
    case scheduled, queued, running, succeeded, failed, cancelled

    public var isFinal: Bool {
        switch self {
        case .succeeded, .failed, .cancelled: true
        case .scheduled, .queued, .running: false
        }
    }
}

/// Why a job failed or was cancelled.
public struct JobFailure: Hashable, Sendable, Codable {
    public enum Code: String, Hashable, Sendable, Codable, CaseIterable {
        case nonzeroExit = "nonzero_exit"
        case timeout
        case spawnFailed = "spawn_failed"
        case workerLost = "worker_lost"
        case stopped
        /// A worker's report of the run could not be recorded (the store refused it, again
        /// and again): the report was dead-lettered and the job ended here, not `running`
        /// for ever.
        case reportRejected = "report_rejected"
        /// Killed by the kernel at its memory limit (the cgroup's OOM killer).
        case memoryLimit = "memory_limit"
        /// Failed after being refused a process or thread at its tasks limit.
        case tasksLimit = "tasks_limit"
    }

    public let code: Code
    public let message: String
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public static let stoppedByRequest = JobFailure(code: .stopped, message: "stopped on request")
    public static let reportRejected = JobFailure(
        code: .reportRejected, message: "a report of this job's run could not be recorded; the run's outcome is unknown")
}
