public import Logging
public import ServiceLifecycle
import UnixSignals

/// The one start-up and shut-down of every process: a service group of the adapters'
/// clients (PostgreSQL, Redis, RabbitMQ: they own their threads and end them when the
/// group stops them) followed by the process's work, which starts only once the
/// adapters' gate passed (PostgreSQL answers with this build's schema). The group stops
/// services in reverse order, so the work ends before the clients it uses.
///
/// On SIGTERM or SIGINT the work gets `gracePeriod` to finish (requests drain, running
/// jobs get the executor's grace); then what still runs is cancelled, and after
/// `cancellationLimit` more the group gives up on it. A dependency that does not answer
/// can delay a shutdown, never hang it.
public enum ProcessGroup {
    public static func run(
        adapters: Adapters, work: [any Service], gracePeriod: Duration,
        cancellationLimit: Duration = .seconds(5), logger: Logger
    ) async throws {
        let gated = GatedServices(gate: adapters.gate, services: adapters.background + work, logger: logger)
        // The span exporter (when tracing is on) first: it stops last, after the spans of
        // the work's last moments.
        let exporter = TracingSetup.service.map { [$0] } ?? []
        var configuration = ServiceGroupConfiguration(
            services: (exporter + adapters.clients + [gated]).map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        configuration.maximumGracefulShutdownDuration = gracePeriod
        configuration.maximumCancellationDuration = cancellationLimit
        try await ServiceGroup(configuration: configuration).run()
    }
}

/// Services that start once `gate` passes, as a group of their own inside the process's
/// group (a shutdown reaches them through it, in reverse order too). Hummingbird's
/// `beforeServerStarts` gates only the server; this gates the consumers as well.
struct GatedServices: Service {
    let gate: @Sendable () async throws -> Void
    let services: [any Service]
    let logger: Logger

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await gate() }
        } catch is CancellationError {
            return  // a shutdown while PostgreSQL was still awaited: nothing started
        }
        guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
        try await ServiceGroup(services: services, logger: logger).run()
    }
}
