public import Domain

/// How the worker boxes each run (docs/isolation.md), from configuration.
public struct SandboxSettings: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        /// Every part (five namespaces, a cgroup per run, a user per run) or the worker
        /// refuses to start.
        case on
        /// What the kernel allows, said at start, in the readiness answer and in the metrics.
        case partial
        /// No box: rlimits and the one job user, as before the sandbox existed (said likewise).
        case off
    }

    public var mode: Mode
    /// The limits of a run that asks for none.
    public var defaults: RunLimits
    /// The uids (each with the gid of the same number) runs are given, one per run at a time.
    public var users: ClosedRange<UInt32>
    /// Paths covered by an empty read-only directory inside the box.
    public var hiddenPaths: [String]
    /// World-writable directories given an empty private copy in the box, so that nothing
    /// a run leaves there reaches the host or a later run with the same uid.
    public var privatePaths: [String]
    /// Size of each of a run's private temporary directories (`/tmp`, `/var/tmp`,
    /// `/dev/shm`), charged to its memory limit as they fill.
    public var tmpBytes: Int
    /// Where each run's working directory is made (0700, owned by the run's uid): outside
    /// the private temporary directories, which the box covers.
    public var workRoot: String
    /// The box's init program; nil: `cloudtask-box-init` beside this executable.
    public var initPath: String?
    /// Each run's block I/O weight (1–1000; 100 is the kernel's default share), written
    /// where the I/O controller has a weight file (v1 `blkio.bfq.weight` or
    /// `blkio.weight`, v2 `io.weight`): a run's share of the disk against other runs.
    public var ioWeight = 100

    public init(
        mode: Mode = .on, defaults: RunLimits = RunLimits(memoryBytes: 512 << 20, cpu: 1, tasks: 256),
        users: ClosedRange<UInt32> = 200_000...200_999,
        hiddenPaths: [String] = [
            "/etc/cloudtask", "/root", "/home", "/var/lib/cloudtask", "/var/lib/postgresql", "/var/lib/redis",
            "/var/lib/rabbitmq",
        ],
        privatePaths: [String] = ["/tmp", "/var/tmp", "/dev/shm"],
        tmpBytes: Int = 64 << 20, workRoot: String = "/var/lib/cloudtask-runs"
    ) {
        self.workRoot = workRoot
        self.mode = mode
        self.defaults = defaults
        self.users = users
        self.hiddenPaths = hiddenPaths
        self.privatePaths = privatePaths
        self.tmpBytes = tmpBytes
    }
}
