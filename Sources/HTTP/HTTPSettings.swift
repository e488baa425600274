public import Application
import Domain

/// The HTTP layer's share of the configuration (the composition root fills it in).
public struct HTTPSettings: Sendable {
    public var maxBodyBytes: Int
    public var trustedProxies: [CIDR]
    public var metricsToken: String?
    public var rateLimits: RateLimitPolicies
    public var liveStreams = LiveStreamLimits()
    /// A trace viewer's page, `{trace_id}` standing for the id: the dashboard links a
    /// job to its trace there.
    public var traceUIURL: String?

    public init(
        maxBodyBytes: Int = 1_048_576, trustedProxies: [CIDR] = [], metricsToken: String? = nil,
        rateLimits: RateLimitPolicies = .init()
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.trustedProxies = trustedProxies
        self.metricsToken = metricsToken
        self.rateLimits = rateLimits
    }
}
