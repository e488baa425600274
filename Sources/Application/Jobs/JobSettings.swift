public import Domain

/// The job policies of a deployment, from configuration.
public struct JobSettings: Sendable {
    public let allowlist: CommandAllowlist
    public let maxUnfinishedJobs: Int
    public let backoff: Backoff
    /// How long a stop marker outlives the longest job.
    public let stopMarkerTTLSeconds: Int

    public init(
        allowlist: CommandAllowlist = .standard, maxUnfinishedJobs: Int = 1000,
        backoff: Backoff = Backoff(), stopMarkerTTLSeconds: Int = 7200
    ) {
        self.allowlist = allowlist
        self.maxUnfinishedJobs = maxUnfinishedJobs
        self.backoff = backoff
        self.stopMarkerTTLSeconds = stopMarkerTTLSeconds
    }
}
