public import Domain

/// What to run: a program name from the allowlist and its arguments, never a shell line.
public struct ProcessSpec: Hashable, Sendable {
    public let command: String
    public let args: [String]
    public let timeoutSeconds: Int

    public init(command: String, args: [String], timeoutSeconds: Int) {
        self.command = command
        self.args = args
        self.timeoutSeconds = timeoutSeconds
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
}

/// Runs programs in isolation. Output arrives through `onOutput` while the program
/// runs, already capped per stream and decoded as UTF-8. Cancelling the calling task
/// stops the program (SIGTERM to its group, SIGKILL after the grace period).
public protocol ProcessRunner: Sendable {
    func run(_ spec: ProcessSpec, onOutput: @escaping @Sendable (OutputChunk) async -> Void) async -> ProcessTermination
}
