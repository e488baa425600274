import ArgumentParser
import Consumers
import Foundation
import Infrastructure
import Logging
import Runtime
import ServiceLifecycle

/// `cloudtask-worker`: the background side of a deployment. Run as many as needed on
/// as many machines as needed: RabbitMQ spreads the jobs, the scheduler elects one
/// leader through Redis, and relays claim outbox rows without stepping on each other.
@main
struct CloudTaskWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cloudtask-worker",
        abstract: "Run CloudTask's consumers: executor, results processor, scheduler, outbox relay.")

    @Option(help: "Comma-separated roles: executor, results, scheduler, relay, or all.")
    var role = "all"

    @Option(help: "Jobs this worker runs at once (its prefetch); default 16 per core, 4 to 64.")
    var concurrency: Int?

    @Option(help: "This worker's name in reports and logs; the process id is appended (default: the host name).")
    var workerId: String?

    @Option(help: "Seconds running jobs get to finish on SIGTERM before they are stopped and handed back.")
    var shutdownGrace = 30

    @Option(help: "Port of this worker's /health and /metrics endpoint (0: none). Each worker on a host needs its own.")
    var metricsPort = 9464

    @Option(help: "Address that endpoint listens on.")
    var metricsHost = "127.0.0.1"

    func run() async throws {
        let roles = try parseRoles(role)
        let concurrency = self.concurrency ?? ExecutorDefaults.concurrency
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 256") }
        guard (0...3600).contains(shutdownGrace) else { throw ValidationError("--shutdown-grace must be 0 to 3600") }
        guard (0...65535).contains(metricsPort) else { throw ValidationError("--metrics-port must be 0 to 65535") }
        let config: CloudTaskConfiguration
        do {
            var loader = try ConfigurationLoader(environment: ProcessInfo.processInfo.environment)
            config = try loader.load(mode: .worker, runsJobs: roles.contains(.executor))
        } catch {
            FileHandle.standardError.write(Data(error.report.utf8))
            throw ExitCode(78)
        }
        LineLogHandler.bootstrap(
            level: config.logLevel, json: config.logFormat == .json, metadataProvider: TracingSetup.logMetadata)
        MallocArenas.limit()
        ProcessMetrics.bootstrap()
        var logger = Logger(label: "cloudtask-worker")
        guard TracingSetup.start(serviceName: "cloudtask-worker", logger: logger) else { throw ExitCode(78) }
        // Unique per process: the results processor tells a redelivery to a restarted
        // worker from a duplicate report by the worker id, so a restart must not reuse it.
        let workerID = "\(workerId ?? ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        // Reports carry the id; consumers refuse ids of other shapes (docs/messages.md).
        guard WorkerIDRule.isValid(workerID) else {
            throw ValidationError("--worker-id (with the process id appended) must be 1 to 128 visible ASCII characters")
        }
        logger[metadataKey: "worker_id"] = .string(workerID)
        do {
            try await WorkerProcess.run(
                config: config, roles: roles, concurrency: concurrency, workerID: workerID,
                shutdownGrace: .seconds(shutdownGrace),
                endpoint: metricsPort == 0 ? nil : (metricsHost, metricsPort), logger: logger)
        } catch is MigrationError {
            throw ExitCode(1)  // the schema is not this build's: already said in one line
        }
    }

    private func parseRoles(_ text: String) throws -> Set<WorkerRole> {
        var roles: Set<WorkerRole> = []
        for name in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if name == "all" {
                roles.formUnion(WorkerRole.allCases)
                continue
            }
            guard let role = WorkerRole(rawValue: name) else {
                throw ValidationError("unknown role '\(name)': use executor, results, scheduler, relay or all")
            }
            roles.insert(role)
        }
        guard !roles.isEmpty else { throw ValidationError("--role needs at least one role") }
        return roles
    }
}
