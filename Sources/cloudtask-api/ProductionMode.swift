import Application
import ArgumentParser
import Consumers
import Foundation
import HTTP
import Hummingbird
import Infrastructure
import Logging
import PostgresNIO
import Runtime

/// `cloudtask-api` with no flag: the stateless API of a multi-instance deployment.
/// PostgreSQL holds the data, Redis the shared state, RabbitMQ carries jobs to
/// `cloudtask-worker` processes. This process runs only the outbox relay besides the
/// API (relays are safe to run many times over), so a job it accepts is published at
/// once; other writers wake it, and relays in workers, with `NOTIFY`.
enum ProductionMode {
    static func run(configuration config: CloudTaskConfiguration, logger: Logger) async throws {
        guard let access = config.accessSecret.flatMap(SigningKey.init(secret:)),
              let pepper = config.refreshSecret.flatMap(SigningKey.init(secret:)),
              let redisURL = config.redisURL, let amqpURL = config.amqpURL else {
            throw ExitCode(78)  // the loader already reported which
        }
        try await Database.withReadyClient(config, logger: logger) { client in
            let sessions = PostgresSessionStore(client: client, logger: logger)
            let clock = SystemClock()
            let shared = SharedState.redis(url: redisURL, sessions: sessions, accessTokenTTLSeconds: config.accessTokenTTLSeconds,
                                           clock: clock, logger: logger)
            let queue = RabbitMQJobQueue(settings: AMQPSettings(url: amqpURL, caFile: config.amqpCAFile), logger: logger)
            var stores = ProcessStores(
                users: PostgresUserRepository(client: client, logger: logger),
                sessions: sessions,
                jobs: PostgresJobStore(client: client, outputLimitBytes: config.outputLimitBytes, logger: logger),
                accessKey: access, previousAccessKeys: config.previousAccessSecrets.compactMap(SigningKey.init(secret:)),
                refreshPepper: pepper,
                health: HealthChecks(postgres: { await Database.ping(client, logger: logger) }, redis: shared.redisHealth,
                                     rabbitmq: { queue.isConnected }),
                shared: shared)
            stores.queue = queue
            stores.roles = [.relay]
            stores.remoteOutboxSignal = PostgresOutboxNotifier(client: client, logger: logger)
            // Outbox rows written elsewhere (retries, promotions, other instances) wake this relay too.
            stores.services.append(OutboxListenerService(client: client, doorbell: stores.doorbell, logger: logger))
            let app = InProcessMode.build(
                configuration: config, stores: stores, concurrency: 1,
                banner: "CloudTask API: data in PostgreSQL, shared state in Redis, jobs through RabbitMQ to cloudtask-worker",
                logger: logger)
            try await BoundedShutdown.run(app, gracePeriod: InProcessMode.shutdownLimit, logger: logger)
            queue.close()
        }
    }
}
