/// The readiness checks of a deployment: PostgreSQL decides readiness; Redis and
/// RabbitMQ only degrade it (the API serves without them).
public struct HealthChecks: Sendable {
    public typealias Check = @Sendable () async -> Bool
    public let postgres: Check
    /// `nil`: this process does not use it.
    public let redis: Check?
    public let rabbitmq: Check?

    public init(postgres: @escaping Check, redis: Check?, rabbitmq: Check?) {
        self.postgres = postgres
        self.redis = redis
        self.rabbitmq = rabbitmq
    }

    /// Everything in memory: always ready.
    public static let embedded = HealthChecks(postgres: { true }, redis: { true }, rabbitmq: { true })
}
