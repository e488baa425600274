public import Application
public import Consumers
import Domain
import Foundation
public import Infrastructure
public import Logging
public import Ports
import PostgresNIO
public import ServiceLifecycle

/// What one process runs on, chosen from the configuration alone: the one place that
/// builds adapters. A mode is a choice made here, not a copy of the wiring:
///
/// | configured                | stores     | shared state | broker              |
/// | ------------------------- | ---------- | ------------ | ------------------- |
/// | nothing (`--embedded`)    | memory     | memory       | memory              |
/// | database                  | PostgreSQL | memory       | memory (redispatch) |
/// | database, Redis           | PostgreSQL | Redis        | memory (redispatch) |
/// | database, Redis, RabbitMQ | PostgreSQL | Redis        | RabbitMQ + NOTIFY   |
///
/// The use cases (`APIUseCases`, `CompositionRoot.consumers`) take these and nothing
/// else; `ProcessGroup` runs their lifecycles.
public struct Adapters {
    public let users: any UserRepository
    public let sessions: any SessionStore
    /// The audit trail the stores above write into with their changes.
    public let audit: any AuditTrail
    /// Two-factor state; its secrets sealed with `CLOUDTASK_MFA_KEY` in PostgreSQL.
    public let mfa: any MFAStore
    /// Whether two-factor enrolment can be offered (a key to seal secrets with).
    public let mfaAvailable: Bool
    /// Mail waiting to be sent (planned from the audit trail, job notices from job changes).
    public let mail: any MailQueue
    /// Every job write goes through it, and it announces each one to live views.
    public let jobs: any JobRepository & Outbox & JobStatistics
    public let shared: SharedState
    public let queue: any JobQueueAdapter
    /// The local relay waits on this.
    public let doorbell: RelayDoorbell
    /// What writers ring after committing to the outbox: the doorbell, and a NOTIFY for
    /// relays in other processes when the broker is shared.
    public let outboxSignal: any OutboxSignal
    public let health: HealthChecks
    public let clock: any WallClock
    public let ids: any IDGenerator
    /// The clients' lifecycles (PostgreSQL, Redis, RabbitMQ): first in the group, so
    /// they end after everything that uses them.
    public let clients: [any Service]
    /// Background work of the adapters themselves (the denylist refill).
    public let background: [any Service]
    /// What wakes this process's relay when another process writes to the outbox; run
    /// only where a relay runs.
    public let relayWakeups: [any Service]
    /// What must hold before anything serves or consumes: PostgreSQL answers with this
    /// build's schema (and, with an in-memory broker, in-flight jobs are dispatched
    /// again). Throws `MigrationError` for a schema that is not this build's.
    public let gate: @Sendable () async throws -> Void
    /// Where artifacts are kept: S3 when configured, memory in the embedded mode, else none.
    public let objectStore: (any ObjectStore)?

    public static func build(_ config: CloudTaskConfiguration, logger: Logger) throws -> Adapters {
        guard let databaseURL = config.databaseURL else { return try inMemory(config) }
        let clock = SystemClock()
        let ids = RandomIDGenerator()
        let client = PostgresClient(configuration: try PostgresURL.configuration(databaseURL))
        let sessions = PostgresSessionStore(client: client, logger: logger)
        let store = PostgresJobStore(client: client, outputLimitBytes: config.outputLimitBytes, logger: logger)
        let shared =
            config.redisURL.map {
                SharedState.redis(
                    url: $0, sessions: sessions, accessTokenTTLSeconds: config.accessTokenTTLSeconds, clock: clock,
                    logger: logger)
            } ?? .inMemory(clock: clock)
        let doorbell = RelayDoorbell()
        let ready: @Sendable () async throws -> Void = { try await Database.waitUntilReady(client, logger: logger) }
        var clients: [any Service] = [client]
        clients += shared.clients

        let queue: any JobQueueAdapter
        let outboxSignal: any OutboxSignal
        let relayWakeups: [any Service]
        let gate: @Sendable () async throws -> Void
        let rabbitmq: HealthChecks.Check?
        if let amqpURL = config.amqpURL {
            let rabbit = RabbitMQJobQueue(settings: AMQPSettings(url: amqpURL, caFile: config.amqpCAFile), logger: logger)
            queue = rabbit
            clients.append(rabbit)
            rabbitmq = { rabbit.isConnected }
            // Relays run in many processes: a commit anywhere wakes them all.
            outboxSignal = SignalBoth(doorbell, PostgresOutboxNotifier(client: client, logger: logger))
            relayWakeups = [OutboxListenerService(client: client, doorbell: doorbell, logger: logger)]
            gate = ready
        } else {
            queue = InMemoryJobQueue()
            rabbitmq = nil
            outboxSignal = doorbell
            relayWakeups = []
            // The in-memory queue of the previous run is gone: dispatch in-flight jobs again.
            gate = {
                try await ready()
                let count = try await RedispatchInFlightJobs(jobs: store, outboxSignal: doorbell, clock: clock, ids: ids)()
                if count > 0 { logger.notice("dispatched in-flight jobs again after a restart", metadata: ["jobs": "\(count)"]) }
            }
        }
        return Adapters(
            users: PostgresUserRepository(client: client, logger: logger), sessions: sessions,
            audit: PostgresAuditTrail(client: client, logger: logger),
            mfa: PostgresMFAStore(client: client, sealer: Self.sealer(config), logger: logger),
            mfaAvailable: Self.sealer(config) != nil, mail: PostgresMailQueue(client: client, logger: logger),
            jobs: AnnouncingJobStore(store, publisher: shared.jobChangePublisher), shared: shared, queue: queue,
            doorbell: doorbell, outboxSignal: outboxSignal,
            health: HealthChecks(
                postgres: { await Database.ping(client, logger: logger) }, redis: shared.redisHealth,
                rabbitmq: rabbitmq),
            clock: clock, ids: ids, clients: clients, background: shared.background, relayWakeups: relayWakeups, gate: gate,
            objectStore: try objectStore(config, logger: logger))
    }

    /// S3, a directory, or none (the embedded mode then keeps them in memory).
    static func objectStore(_ config: CloudTaskConfiguration, logger: Logger) throws -> (any ObjectStore)? {
        if let settings = config.objectStore { return S3ObjectStore(settings: settings, logger: logger) }
        return try config.objectStoreDirectory.map { try FileSystemObjectStore(root: $0) }
    }

    /// What seals TOTP secrets, when a key is configured.
    static func sealer(_ config: CloudTaskConfiguration) -> SecretSealer? {
        config.mfaKey.flatMap { SecretSealer(secret: $0, old: config.mfaOldKeys) }
    }

    /// Everything in this process's memory (`--embedded`): lost when it exits.
    static func inMemory(_ config: CloudTaskConfiguration) throws -> Adapters {
        let clock = SystemClock()
        let shared = SharedState.inMemory(clock: clock)
        let doorbell = RelayDoorbell()
        let audit = InMemoryAuditTrail()
        let mail = InMemoryMailQueue()
        return Adapters(
            users: InMemoryUserRepository(audit: audit), sessions: InMemorySessionStore(audit: audit), audit: audit,
            mfa: InMemoryMFAStore(audit: audit), mfaAvailable: true, mail: mail,
            jobs: AnnouncingJobStore(
                InMemoryJobStore(outputLimitBytes: config.outputLimitBytes, audit: audit, mail: mail),
                publisher: shared.jobChangePublisher),
            shared: shared, queue: InMemoryJobQueue(), doorbell: doorbell, outboxSignal: doorbell, health: .embedded,
            clock: clock, ids: RandomIDGenerator(), clients: [], background: shared.background, relayWakeups: [],
            gate: {},
            objectStore: try objectStore(config, logger: Logger(label: "cloudtask")) ?? InMemoryObjectStore())
    }
}
