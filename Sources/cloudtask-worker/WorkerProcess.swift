import Application
import ArgumentParser
import Consumers
import Foundation
import Infrastructure
import Logging
import Ports
import Runtime
import ServiceLifecycle

/// The worker's composition root: PostgreSQL, Redis and RabbitMQ adapters under the
/// consumers of the chosen roles, run as one service group that shuts down gracefully
/// on SIGTERM or SIGINT (the executor stops taking jobs, lets running ones finish within
/// the grace period, and hands the rest back to RabbitMQ).
enum WorkerProcess {
    static func run(
        config: CloudTaskConfiguration, roles: Set<WorkerRole>, concurrency: Int, workerID: String,
        shutdownGrace: Duration, endpoint: (host: String, port: Int)?, logger: Logger
    ) async throws {
        let sandbox = try CompositionRoot.sandbox(config: config, roles: roles, logger: logger)
        let adapters = try Adapters.build(config, logger: logger)
        var services = CompositionRoot.consumers(
            config: config, adapters: adapters, workerID: workerID, concurrency: concurrency, roles: roles,
            shutdownGrace: shutdownGrace, sandbox: sandbox, logger: logger)
        if let endpoint {
            services.append(
                NonFatalEndpoint(
                    endpoint: WorkerEndpoint.application(
                        host: endpoint.host, port: endpoint.port, metricsToken: config.metricsToken, health: adapters.health,
                        sandbox: sandbox?.capabilities.summary ?? (roles.contains(.executor) ? "sandbox off" : nil),
                        logger: logger), logger: logger))
        }
        logger.notice(
            "cloudtask-worker started",
            metadata: [
                "roles": "\(roles.map(\.rawValue).sorted().joined(separator: ","))", "concurrency": "\(concurrency)",
            ])
        // Past the executor's grace and some slack, whatever still runs is cancelled:
        // a shutdown never hangs on a dependency that does not answer.
        try await ProcessGroup.run(adapters: adapters, work: services, gracePeriod: shutdownGrace + .seconds(15), logger: logger)
    }
}
