import Application
import ArgumentParser
import Consumers
import Foundation
import Infrastructure
import Logging
import PostgresNIO
import Ports
import Runtime
import ServiceLifecycle
import UnixSignals

/// The worker's composition root: PostgreSQL, Redis and RabbitMQ adapters under the
/// consumers of the chosen roles, run as one service group that shuts down gracefully
/// on SIGTERM or SIGINT (the executor stops taking jobs, lets running ones finish within
/// the grace period, and hands the rest back to RabbitMQ).
enum WorkerProcess {
    static func run(config: CloudTaskConfiguration, roles: Set<WorkerRole>, concurrency: Int, workerID: String,
                    shutdownGrace: Duration, endpoint: (host: String, port: Int)?, logger: Logger) async throws {
        guard let redisURL = config.redisURL, let amqpURL = config.amqpURL else { throw ExitCode(78) }
        try await Database.withReadyClient(config, logger: logger) { client in
            let clock = SystemClock()
            let sessions = PostgresSessionStore(client: client, logger: logger)
            let shared = SharedState.redis(url: redisURL, sessions: sessions, accessTokenTTLSeconds: config.accessTokenTTLSeconds,
                                           clock: clock, logger: logger)
            let queue = RabbitMQJobQueue(settings: AMQPSettings(url: amqpURL, caFile: config.amqpCAFile), logger: logger)
            let doorbell = RelayDoorbell()
            var services = CompositionRoot.consumers(
                config: config,
                jobs: AnnouncingJobStore(PostgresJobStore(client: client, outputLimitBytes: config.outputLimitBytes, logger: logger),
                                         publisher: shared.jobChangePublisher),
                sessions: sessions, cache: shared.cache, stopSignal: shared.stopSignal, lock: shared.lock,
                dispatches: queue, events: queue, stops: queue, publisher: queue, eventPublisher: queue, doorbell: doorbell,
                clock: clock, ids: RandomIDGenerator(), workerID: workerID, concurrency: concurrency, roles: roles,
                outboxSignal: SignalBoth(doorbell, PostgresOutboxNotifier(client: client, logger: logger)),
                shutdownGrace: shutdownGrace, workers: shared.workers, logger: logger)
            if roles.contains(.relay) { services.append(OutboxListenerService(client: client, doorbell: doorbell, logger: logger)) }
            if let endpoint {
                services.append(NonFatalEndpoint(endpoint: WorkerEndpoint.application(
                    host: endpoint.host, port: endpoint.port, metricsToken: config.metricsToken,
                    postgres: { await Database.ping(client, logger: logger) }, redis: shared.redisHealth ?? { true },
                    rabbitmq: { queue.isConnected }, logger: logger), logger: logger))
            }
            logger.notice("cloudtask-worker started", metadata: [
                "roles": "\(roles.map(\.rawValue).sorted().joined(separator: ","))", "concurrency": "\(concurrency)",
            ])
            var groupConfiguration = ServiceGroupConfiguration(
                services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            // Past the executor's grace and some slack, whatever still runs is cancelled:
            // a shutdown never hangs on a dependency that does not answer.
            groupConfiguration.maximumGracefulShutdownDuration = shutdownGrace + .seconds(15)
            groupConfiguration.maximumCancellationDuration = .seconds(5)
            let serviceGroup = ServiceGroup(configuration: groupConfiguration)
            try await serviceGroup.run()
            queue.close()
        }
    }
}
