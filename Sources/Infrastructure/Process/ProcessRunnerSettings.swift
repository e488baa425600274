public import Domain

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

    public init(allowlist: CommandAllowlist, outputLimitBytes: Int, stopGraceSeconds: Int, jobUser: String, limits: ResourceLimits) {
        self.allowlist = allowlist
        self.outputLimitBytes = outputLimitBytes
        self.stopGraceSeconds = stopGraceSeconds
        self.jobUser = jobUser
        self.limits = limits
    }
}
