public import Domain
import Glibc

/// How the worker runs programs, from configuration.
public struct ProcessRunnerSettings: Sendable {
    public var allowlist: CommandAllowlist
    /// Bytes kept per stream (stdout, stderr); the rest is drained and dropped.
    public var outputLimitBytes: Int
    /// SIGTERM to SIGKILL, on stop, timeout or shutdown.
    public var stopGraceSeconds: Int
    /// The account programs run as when the worker runs as root.
    public var jobUser: String
    public var limits: ResourceLimits
    /// Where programs are looked up: never the worker's own PATH.
    public var searchPath: [String] = ["/usr/local/bin", "/usr/bin", "/bin"]
    /// Where each run's empty working directory is made.
    public var workRoot: String = "/tmp"
    /// Whether this process may run programs as its own user when it is not root. Off by
    /// default: such a program could read everything the worker can (its configuration
    /// and secrets among them), so a worker that cannot switch to `jobUser` refuses.
    public var allowJobsAsWorkerUser = false
    /// Whether the process can switch to `jobUser` (it is root); a setting for tests.
    public var canSwitchUser = geteuid() == 0

    public init(
        allowlist: CommandAllowlist, outputLimitBytes: Int, stopGraceSeconds: Int, jobUser: String, limits: ResourceLimits
    ) {
        self.allowlist = allowlist
        self.outputLimitBytes = outputLimitBytes
        self.stopGraceSeconds = stopGraceSeconds
        self.jobUser = jobUser
        self.limits = limits
    }
}
