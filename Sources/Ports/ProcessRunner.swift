public import Domain

/// What to run: a program name from the allowlist and its arguments, never a shell line.
public struct ProcessSpec: Hashable, Sendable {
    public let command: String
    public let args: [String]
    public let timeoutSeconds: Int
    /// The run's limits; nil: the runner's defaults.
    public let limits: RunLimits?
    /// Files to keep from the working directory when the program ends (paths that pass
    /// `ArtifactRules`), each at most `keepMaxBytes`.
    public let keep: [String]
    public let keepMaxBytes: Int64
    /// Keep each output stream's every byte, up to this many, when it passes the output
    /// cap (`ProcessResult.logs`); 0: only what the cap admits.
    public let fullLogMaxBytes: Int64
    /// Files to place in the working directory before the program starts.
    public let inputs: [StagedInput]

    public init(
        command: String, args: [String], timeoutSeconds: Int, limits: RunLimits? = nil, keep: [String] = [],
        keepMaxBytes: Int64 = 0, fullLogMaxBytes: Int64 = 0, inputs: [StagedInput] = []
    ) {
        self.inputs = inputs
        self.fullLogMaxBytes = fullLogMaxBytes
        self.keep = keep
        self.keepMaxBytes = keepMaxBytes
        self.command = command
        self.args = args
        self.timeoutSeconds = timeoutSeconds
        self.limits = limits
    }
}

/// An input file fetched for a run: a local copy at `source` (the caller's; the runner
/// only reads it) that the runner places at `path` in the working directory, owned by
/// the run's user, before the program starts.
public struct StagedInput: Hashable, Sendable {
    public let path: String
    public let source: String

    public init(path: String, source: String) {
        self.path = path
        self.source = source
    }
}

/// How a program ended.
public enum ProcessTermination: Hashable, Sendable {
    case exited(Int32)
    case signalled(Int32)
    /// It ran past its timeout and was killed.
    case timedOut
    /// The calling task was cancelled (a stop, or shutdown) and the program was killed.
    case stopped
    /// It could not be started at all (not allowed, not found, not executable).
    case spawnFailed(String)
    /// The kernel killed it at its memory limit.
    case memoryLimit(bytes: Int)
    /// It failed (exit code, or nil when killed by a signal) after being refused a new
    /// task at its tasks limit.
    case tasksLimit(tasks: Int, exitCode: Int32?)
}

/// A file the spec asked to keep, as the runner found it when the program ended: copied
/// out of the working directory (which the runner removes) to `path`, which belongs to
/// the caller from then on, or not (why not).
public struct KeptFile: Hashable, Sendable {
    public enum Content: Hashable, Sendable {
        case copied(path: String, size: Int64)
        case refused(String)
    }

    public let name: String
    public let content: Content

    public init(name: String, content: Content) {
        self.name = name
        self.content = content
    }
}

/// How a program ended, and what it used (nil where the runner cannot measure it).
public struct ProcessResult: Hashable, Sendable {
    public let termination: ProcessTermination
    public let usage: ResourceUsage?
    /// One entry per file of `ProcessSpec.keep`, in its order (empty when the program never started).
    public let kept: [KeptFile]
    /// The full log of each stream that passed the output cap, named `stdout` or `stderr`
    /// (with `ProcessSpec.fullLogMaxBytes`); the files belong to the caller.
    public let logs: [KeptFile]

    public init(_ termination: ProcessTermination, usage: ResourceUsage? = nil, kept: [KeptFile] = [], logs: [KeptFile] = []) {
        self.logs = logs
        self.termination = termination
        self.usage = usage
        self.kept = kept
    }
}

/// Runs programs in isolation. Output arrives through `onOutput` while the program
/// runs, already capped per stream and decoded as UTF-8. Cancelling the calling task
/// stops the program (SIGTERM to its group, SIGKILL after the grace period).
public protocol ProcessRunner: Sendable {
    func run(_ spec: ProcessSpec, onOutput: @escaping @Sendable (OutputChunk) async -> Void) async -> ProcessResult
    /// The same, also telling `onUsage` what the program has used so far, about every
    /// second, where the runner can measure it.
    func run(
        _ spec: ProcessSpec, onOutput: @escaping @Sendable (OutputChunk) async -> Void,
        onUsage: @escaping @Sendable (ResourceUsage) async -> Void
    ) async -> ProcessResult
}

extension ProcessRunner {
    /// A runner that cannot measure a run while it goes reports nothing before the end.
    public func run(
        _ spec: ProcessSpec, onOutput: @escaping @Sendable (OutputChunk) async -> Void,
        onUsage: @escaping @Sendable (ResourceUsage) async -> Void
    ) async -> ProcessResult {
        await run(spec, onOutput: onOutput)
    }
}
