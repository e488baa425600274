public import Domain

/// What to run: a program name from the allowlist and its arguments, never a shell line.
public struct ProcessSpec: Hashable, Sendable {
    public let command: String
    public let args: [String]
    public let timeoutSeconds: Int
    /// The run's limits; nil: the runner's defaults.
    public let limits: RunLimits?

    public init(command: String, args: [String], timeoutSeconds: Int, limits: RunLimits? = nil) {
        self.command = command
        self.args = args
        self.timeoutSeconds = timeoutSeconds
        self.limits = limits
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

/// How a program ended, and what it used (nil where the runner cannot measure it).
public struct ProcessResult: Hashable, Sendable {
    public let termination: ProcessTermination
    public let usage: ResourceUsage?

    public init(_ termination: ProcessTermination, usage: ResourceUsage? = nil) {
        self.termination = termination
        self.usage = usage
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
