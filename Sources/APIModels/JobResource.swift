/// A job as the API returns it (`GET /api/v1/jobs/{id}`, and in lists and events) and
/// as the `cloudtask` client reads it. Times are RFC 3339 with milliseconds; every key
/// is present, `null` when empty. The API writes it with its own fast writer
/// (`JobRepresentation`); a test decodes that writer's output into this type, key for
/// key, so the two cannot drift.
public struct JobResource: Codable, Sendable, Equatable {
    public struct Failure: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
    }

    /// What the job's last run used, from its cgroup (null before a run ends).
    public struct Usage: Codable, Sendable, Equatable {
        public var cpuUserSeconds: Double
        public var cpuSystemSeconds: Double
        public var memoryPeakBytes: Int
        public var tasksPeak: Int
        public var ioReadBytes: Int
        public var ioWriteBytes: Int

        public enum CodingKeys: String, CodingKey {
            case cpuUserSeconds = "cpu_user_seconds"
            case cpuSystemSeconds = "cpu_system_seconds"
            case memoryPeakBytes = "memory_peak_bytes"
            case tasksPeak = "tasks_peak"
            case ioReadBytes = "io_read_bytes"
            case ioWriteBytes = "io_write_bytes"
        }
    }

    public var args: [String]
    public var attempts: Int
    public var command: String
    public var createdAt: String
    public var error: Failure?
    public var exitCode: Int?
    public var finishedAt: String?
    public var id: String
    /// The limits its runs are held to (null for jobs made before limits existed).
    public var limits: JobSubmission.Limits?
    public var maxAttempts: Int
    public var name: String?
    /// Whether the owner is mailed when the job ends.
    public var notify: Bool?
    /// The files its runs keep (absent from servers before artifacts).
    public var artifacts: [String]?
    /// The uploaded files its runs start with (absent from servers before inputs).
    public var inputs: [JobSubmission.Input]?
    public var ownerId: String
    public var priority: Int
    public var runAt: String
    public var startedAt: String?
    public var status: String
    public var stopRequestedAt: String?
    public var timeoutSeconds: Int
    /// The trace of the request that made it (null when the API was not tracing).
    public var traceId: String?
    public var updatedAt: String
    public var usage: Usage?

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case args, artifacts, attempts, command
        case createdAt = "created_at"
        case error
        case exitCode = "exit_code"
        case finishedAt = "finished_at"
        case id, inputs, limits
        case maxAttempts = "max_attempts"
        case name, notify
        case ownerId = "owner_id"
        case priority
        case runAt = "run_at"
        case startedAt = "started_at"
        case status
        case stopRequestedAt = "stop_requested_at"
        case timeoutSeconds = "timeout_seconds"
        case traceId = "trace_id"
        case updatedAt = "updated_at"
        case usage
    }

    /// Whether the job will change no more.
    public var isFinal: Bool { ["succeeded", "failed", "cancelled"].contains(status) }
}

/// A page of `GET /api/v1/jobs`.
public struct JobPage: Codable, Sendable {
    public var jobs: [JobResource]
    public var nextCursor: String?

    public enum CodingKeys: String, CodingKey {
        case jobs
        case nextCursor = "next_cursor"
    }
}

/// `GET /api/v1/jobs/{id}/output`.
public struct JobOutputResource: Codable, Sendable, Equatable {
    public var stdout: String
    public var stderr: String
    public var truncated: Bool

    public init(stdout: String, stderr: String, truncated: Bool) {
        self.stdout = stdout
        self.stderr = stderr
        self.truncated = truncated
    }
}

/// `POST /api/v1/files`: an uploaded input file, named by its id in a job's `inputs`.
public struct UploadedFileResource: Codable, Sendable, Equatable {
    public var id: String
    public var sha256: String
    public var size: Int

    public init(id: String, sha256: String, size: Int) {
        self.id = id
        self.sha256 = sha256
        self.size = size
    }
}
