import Application
import Consumers
import Domain
import Foundation
import HTTP
import Hummingbird
import Infrastructure
import Logging
import CoreMetrics
import Ports
import Prometheus

/// The stores and keys that distinguish the one-process modes.
struct ProcessStores {
    var users: any UserRepository
    var sessions: any SessionStore
    var jobs: any JobRepository & Outbox
    var accessKey: SigningKey
    var previousAccessKeys: [SigningKey]
    var refreshPepper: SigningKey
    var health: HealthChecks
    var shared: SharedState
    var services: [any Service] = []

    /// `--embedded`: everything in memory, random keys (tokens die with the process).
    static func embedded(_ config: CloudTaskConfiguration) -> ProcessStores {
        ProcessStores(
            users: InMemoryUserRepository(), sessions: InMemorySessionStore(),
            jobs: InMemoryJobStore(outputLimitBytes: config.outputLimitBytes), accessKey: .random(), previousAccessKeys: [],
            refreshPepper: .random(), health: .embedded, shared: .inMemory(clock: SystemClock()))
    }
}

/// The composition root of the one-process modes: the API and the consumers in this
/// process, the queue in memory; the stores and shared state chosen by the mode (memory
/// for `--embedded`; PostgreSQL, and Redis when configured, for `--single-node`).
enum InProcessMode {
    static func build(configuration config: CloudTaskConfiguration, stores: ProcessStores, concurrency: Int,
                      banner: String, logger: Logger) -> some ApplicationProtocol {
        let clock = SystemClock()
        let ids = RandomIDGenerator()
        let shared = stores.shared
        let queue = InMemoryJobQueue()
        let doorbell = RelayDoorbell()
        let hasher = BcryptPasswordHasher(cost: config.bcryptCost, threads: max(1, ProcessInfo.processInfo.activeProcessorCount / 2))
        let tokens = JWTAccessTokens(current: stores.accessKey, previous: stores.previousAccessKeys,
                                     issuer: config.jwtIssuer, audience: config.jwtAudience)
        let useCases = APIUseCases(configuration: config, adapters: .init(
            users: stores.users, sessions: stores.sessions, jobs: stores.jobs, denylist: shared.denylist,
            accessGate: shared.accessGate, cache: shared.cache, stopSignal: shared.stopSignal, hasher: hasher, tokens: tokens,
            minter: HMACRefreshTokenMinter(pepper: stores.refreshPepper),
            outboxSignal: doorbell, clock: clock, ids: ids))

        let registry = ProcessMetrics.registry
        let metrics = ProcessMetrics.factory
        let router = buildRouter(
            useCases: useCases, settings: HTTPSettings(config), rateLimiter: shared.rateLimiter, clock: clock,
            health: stores.health, metricsFactory: metrics, exportMetrics: { registry.exposition() })

        let workerID = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        let consumers = CompositionRoot.consumers(
            config: config, jobs: stores.jobs, sessions: stores.sessions, cache: shared.cache, stopSignal: shared.stopSignal,
            lock: shared.lock, dispatches: queue, events: queue, stops: queue, publisher: queue,
            eventPublisher: queue, doorbell: doorbell, clock: clock, ids: ids, workerID: workerID, concurrency: concurrency,
            logger: logger)

        return Application(
            router: router,
            configuration: .init(address: .hostname(config.httpHost, port: config.httpPort), serverName: "cloudtask"),
            services: stores.services + shared.services + consumers,
            onServerRunning: { _ in
                logger.notice("\(banner)")
                logger.notice("listening on http://\(config.httpHost):\(config.httpPort)")
            },
            logger: logger)
    }
}

/// The process's metrics: one registry, made swift-metrics' global factory before any
/// adapter is built, so that adapters' own counters reach `/metrics` too.
enum ProcessMetrics {
    static let registry = PrometheusCollectorRegistry()
    static let factory = PrometheusMetricsFactory(registry: registry)
    static func bootstrap() { MetricsSystem.bootstrap(factory) }
}

extension PrometheusCollectorRegistry {
    /// The Prometheus text exposition of every metric.
    func exposition() -> String {
        var buffer: [UInt8] = []
        emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}

import ServiceLifecycle
