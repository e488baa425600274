public import Domain

/// The job policies of a deployment, from configuration.
public struct JobSettings: Sendable {
    public let allowlist: CommandAllowlist
    public let maxUnfinishedJobs: Int
    public let backoff: Backoff
    /// How long a stop marker outlives the longest job.
    public let stopMarkerTTLSeconds: Int
    /// The limits of a job that asks for none, and the most a job may ask for: users and
    /// viewers, and admins.
    public let limitDefaults: RunLimits
    public let limitMaxima: RunLimits
    public let adminLimitMaxima: RunLimits
    /// Whether jobs may declare artifacts (object storage is configured).
    public var artifactsAvailable = false
    /// The most one artifact may hold, and how long a download link lives (0: none).
    public var artifactMaxBytes: Int64 = 100 << 20
    public var artifactRedirectSeconds = 0

    public init(
        allowlist: CommandAllowlist = .standard, maxUnfinishedJobs: Int = 1000,
        backoff: Backoff = Backoff(), stopMarkerTTLSeconds: Int = 7200,
        limitDefaults: RunLimits = RunLimits(memoryBytes: 512 << 20, cpu: 1, tasks: 256),
        limitMaxima: RunLimits = RunLimits(memoryBytes: 2 << 30, cpu: 2, tasks: 1024),
        adminLimitMaxima: RunLimits = RunLimits(memoryBytes: 8 << 30, cpu: 4, tasks: 4096)
    ) {
        self.limitDefaults = limitDefaults
        self.limitMaxima = limitMaxima
        self.adminLimitMaxima = adminLimitMaxima
        self.allowlist = allowlist
        self.maxUnfinishedJobs = maxUnfinishedJobs
        self.backoff = backoff
        self.stopMarkerTTLSeconds = stopMarkerTTLSeconds
    }
}
