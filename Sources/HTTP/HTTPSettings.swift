public import Domain
public import Infrastructure

/// The HTTP layer's share of the configuration.
public struct HTTPSettings: Sendable {
    public var maxBodyBytes: Int
    public var trustedProxies: [CIDR]
    public var metricsToken: String?
    public var rateLimits: CloudTaskConfiguration.RateLimits
    public var liveStreams = LiveStreamLimits()

    public init(maxBodyBytes: Int = 1_048_576, trustedProxies: [CIDR] = [], metricsToken: String? = nil,
                rateLimits: CloudTaskConfiguration.RateLimits = .init()) {
        self.maxBodyBytes = maxBodyBytes
        self.trustedProxies = trustedProxies
        self.metricsToken = metricsToken
        self.rateLimits = rateLimits
    }

    public init(_ configuration: CloudTaskConfiguration) {
        self.init(maxBodyBytes: configuration.maxBodyBytes, trustedProxies: configuration.trustedProxies,
                  metricsToken: configuration.metricsToken, rateLimits: configuration.rateLimits)
        liveStreams = LiveStreamLimits(perUser: configuration.liveStreamsPerUser, perProcess: configuration.liveStreamsPerProcess,
                                       writeTimeout: .seconds(configuration.liveWriteTimeoutSeconds))
    }
}
