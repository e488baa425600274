import Runtime
import Application
import ArgumentParser
import Consumers
import Foundation
import Hummingbird
import HTTP
import Infrastructure
import Logging
import PostgresNIO

/// `--single-node`: one process on PostgreSQL. Users, sessions, jobs, output and the
/// outbox are durable; the queue is in memory. Revocations, rate limits, the cache and
/// stop markers are in Redis when `CLOUDTASK_REDIS_URL` is set, in memory otherwise
/// (right for exactly one instance).
enum SingleNodeMode {
    static func run(configuration config: CloudTaskConfiguration, concurrency: Int, logger: Logger) async throws {
        guard let access = config.accessSecret.flatMap(SigningKey.init(secret:)),
              let pepper = config.refreshSecret.flatMap(SigningKey.init(secret:)) else {
            throw ExitCode(78)  // the loader already reported which
        }
        try await Database.withReadyClient(config, logger: logger) { client in
            let jobStore = PostgresJobStore(client: client, outputLimitBytes: config.outputLimitBytes, logger: logger)
            // The in-memory queue of the previous run is gone: dispatch in-flight jobs again.
            let redispatched = try await RedispatchInFlightJobs(
                jobs: jobStore, outboxSignal: RelayDoorbell(), clock: SystemClock(), ids: RandomIDGenerator())()
            if redispatched > 0 { logger.notice("dispatched in-flight jobs again after a restart", metadata: ["jobs": "\(redispatched)"]) }
            let sessions = PostgresSessionStore(client: client, logger: logger)
            let clock = SystemClock()
            let shared = config.redisURL.map {
                SharedState.redis(url: $0, sessions: sessions, accessTokenTTLSeconds: config.accessTokenTTLSeconds,
                                  clock: clock, logger: logger)
            } ?? .inMemory(clock: clock)
            let stores = ProcessStores(
                users: PostgresUserRepository(client: client, logger: logger),
                sessions: sessions,
                jobs: jobStore,
                accessKey: access, previousAccessKeys: config.previousAccessSecrets.compactMap(SigningKey.init(secret:)),
                refreshPepper: pepper,
                health: HealthChecks(postgres: { await Database.ping(client, logger: logger) }, redis: shared.redisHealth,
                                     rabbitmq: nil),
                shared: shared)
            let app = InProcessMode.build(
                configuration: config, stores: stores, concurrency: concurrency,
                banner: config.redisURL == nil
                    ? "CloudTask single-node mode: data in PostgreSQL; queue, cache and limits in this process"
                    : "CloudTask single-node mode: data in PostgreSQL; cache and limits in Redis; queue in this process",
                logger: logger)
            try await BoundedShutdown.run(app, gracePeriod: InProcessMode.shutdownLimit, logger: logger)
        }
    }
}
