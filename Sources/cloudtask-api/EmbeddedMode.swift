import Application
import Consumers
import Domain
import Foundation
import HTTP
import Hummingbird
import Infrastructure
import Logging
import Ports
import Prometheus
import Runtime
import ServiceLifecycle

/// The stores and keys that distinguish the one-process modes.
struct ProcessStores {
    var users: any UserRepository
    var sessions: any SessionStore
    var jobs: any JobRepository & Outbox & JobStatistics
    var accessKey: SigningKey
    var previousAccessKeys: [SigningKey]
    var refreshPepper: SigningKey
    var health: HealthChecks
    var shared: SharedState
    var services: [any Service] = []
    /// The broker: in memory for the one-process modes, RabbitMQ in production.
    var queue: any JobQueueAdapter = InMemoryJobQueue()
    /// The consumers this process runs besides the API.
    var roles: Set<WorkerRole> = Set(WorkerRole.allCases)
    /// The local relay's doorbell.
    var doorbell = RelayDoorbell()
    /// What writers ring after a commit to the outbox, besides the local relay's doorbell.
    var remoteOutboxSignal: (any OutboxSignal)?

    /// `--embedded`: everything in memory, random keys (tokens die with the process).
    static func embedded(_ config: CloudTaskConfiguration) -> ProcessStores {
        ProcessStores(
            users: InMemoryUserRepository(), sessions: InMemorySessionStore(),
            jobs: InMemoryJobStore(outputLimitBytes: config.outputLimitBytes), accessKey: .random(), previousAccessKeys: [],
            refreshPepper: .random(), health: .embedded, shared: .inMemory(clock: SystemClock()))
    }
}

/// The composition root of every mode: the API and the consumers this process runs, on
/// the stores, shared state and broker the mode chose (memory for `--embedded`;
/// PostgreSQL, and Redis when configured, for `--single-node`; PostgreSQL, Redis and
/// RabbitMQ with only the outbox relay for the multi-instance API).
enum InProcessMode {
    /// How long a SIGTERM may take: requests drain and running jobs get the executor's
    /// grace (30 s), plus slack; then what still runs is cancelled.
    static let shutdownLimit: Duration = .seconds(45)

    static func build(configuration config: CloudTaskConfiguration, stores: ProcessStores, concurrency: Int,
                      banner: String, logger: Logger) -> some ApplicationProtocol {
        let clock = SystemClock()
        let ids = RandomIDGenerator()
        let shared = stores.shared
        let queue = stores.queue
        let doorbell = stores.doorbell
        let outboxSignal: any OutboxSignal = stores.remoteOutboxSignal.map { SignalBoth(doorbell, $0) } ?? doorbell
        let hasher = BcryptPasswordHasher(cost: config.bcryptCost, threads: ProcessInfo.processInfo.activeProcessorCount,
                                          maxQueued: config.bcryptQueue)
        let tokens = JWTAccessTokens(current: stores.accessKey, previous: stores.previousAccessKeys,
                                     issuer: config.jwtIssuer, audience: config.jwtAudience)
        // Every job write goes through one store that announces it to live views; this
        // process's hub hears the announcements (its own and other processes').
        let jobs = AnnouncingJobStore(stores.jobs, publisher: shared.jobChangePublisher)
        let hub = JobChangeHub()
        let useCases = APIUseCases(configuration: config, adapters: .init(
            users: stores.users, sessions: stores.sessions, jobs: jobs, denylist: shared.denylist,
            accessGate: shared.accessGate, cache: shared.cache, stopSignal: shared.stopSignal, hasher: hasher, tokens: tokens,
            minter: HMACRefreshTokenMinter(pepper: stores.refreshPepper),
            outboxSignal: outboxSignal, clock: clock, ids: ids, hub: hub, workers: shared.workers))

        let registry = ProcessMetrics.registry
        let metrics = ProcessMetrics.factory
        let router = buildRouter(
            useCases: useCases, settings: HTTPSettings(config), rateLimiter: shared.rateLimiter, clock: clock,
            health: stores.health, metricsFactory: metrics, exportMetrics: { registry.exposition() })

        let workerID = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        let consumers = CompositionRoot.consumers(
            config: config, jobs: jobs, sessions: stores.sessions, cache: shared.cache, stopSignal: shared.stopSignal,
            lock: shared.lock, dispatches: queue, events: queue, stops: queue, publisher: queue,
            eventPublisher: queue, doorbell: doorbell, clock: clock, ids: ids, workerID: workerID, concurrency: concurrency,
            roles: stores.roles, outboxSignal: outboxSignal, workers: shared.workers, logger: logger)
        let fanOut = JobChangeFanOutService(hub: hub, source: shared.jobChangeSource, jobs: jobs, heartbeat: .seconds(config.liveHeartbeatSeconds))

        return Application(
            router: router,
            configuration: .init(address: .hostname(config.httpHost, port: config.httpPort), serverName: "cloudtask"),
            services: stores.services + shared.services + consumers + [fanOut],
            onServerRunning: { _ in
                logger.notice("\(banner)")
                logger.notice("listening on http://\(config.httpHost):\(config.httpPort)")
            },
            logger: logger)
    }
}
