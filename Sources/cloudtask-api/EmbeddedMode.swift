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

/// The composition root of the embedded mode: every port on its in-memory adapter, the
/// consumers in this process on the in-memory queue, random signing keys.
enum EmbeddedMode {
    static func build(configuration config: CloudTaskConfiguration, concurrency: Int, logger: Logger) -> some ApplicationProtocol {
        let clock = SystemClock()
        let ids = RandomIDGenerator()
        let users = InMemoryUserRepository()
        let sessions = InMemorySessionStore()
        let jobs = InMemoryJobStore(outputLimitBytes: config.outputLimitBytes, clock: clock)
        let denylist = InMemoryTokenDenylist(clock: clock)
        let cache = InMemoryCache(clock: clock)
        let stopSignal = InMemoryStopSignal(clock: clock)
        let queue = InMemoryJobQueue()
        let lock = InMemoryDistributedLock(clock: clock)
        let doorbell = RelayDoorbell()
        let hasher = BcryptPasswordHasher(cost: config.bcryptCost, threads: max(1, ProcessInfo.processInfo.activeProcessorCount / 2))
        let accessKey = SigningKey.random()
        let tokens = JWTAccessTokens(current: accessKey, issuer: config.jwtIssuer, audience: config.jwtAudience)
        let minter = HMACRefreshTokenMinter(pepper: SigningKey.random())

        let useCases = APIUseCases(configuration: config, adapters: .init(
            users: users, sessions: sessions, jobs: jobs, denylist: denylist, cache: cache, stopSignal: stopSignal,
            hasher: hasher, tokens: tokens, minter: minter, outboxSignal: doorbell, clock: clock, ids: ids))

        let registry = PrometheusCollectorRegistry()
        let metrics = PrometheusMetricsFactory(registry: registry)
        let router = buildRouter(
            useCases: useCases, settings: HTTPSettings(config), rateLimiter: InMemoryRateLimiter(), clock: clock,
            health: .embedded, metricsFactory: metrics, exportMetrics: { registry.exposition() })

        let workerID = "embedded-\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        let consumers = CompositionRoot.consumers(
            config: config, jobs: jobs, sessions: sessions, cache: cache, stopSignal: stopSignal, lock: lock,
            dispatches: queue, events: queue, stops: queue, publisher: queue, eventPublisher: queue, doorbell: doorbell,
            clock: clock, ids: ids, workerID: workerID, concurrency: concurrency, logger: logger)

        return Application(
            router: router,
            configuration: .init(address: .hostname(config.httpHost, port: config.httpPort), serverName: "cloudtask"),
            services: consumers,
            onServerRunning: { _ in
                logger.notice("CloudTask embedded mode: everything is in memory, and all data is lost when this process exits")
                logger.notice("listening on http://\(config.httpHost):\(config.httpPort)")
            },
            logger: logger)
    }
}

extension PrometheusCollectorRegistry {
    /// The Prometheus text exposition of every metric.
    func exposition() -> String {
        var buffer: [UInt8] = []
        emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
