public import Logging
public import ServiceLifecycle
import UnixSignals

/// Runs a service until SIGTERM or SIGINT, then gives it a bounded time to stop: after
/// `gracePeriod` its run is cancelled, and after `cancellationLimit` more the group
/// gives up on it. A dependency that does not answer can delay a shutdown, never hang it.
public enum BoundedShutdown {
    public static func run(_ service: some Service, gracePeriod: Duration, cancellationLimit: Duration = .seconds(5),
                           logger: Logger) async throws {
        var configuration = ServiceGroupConfiguration(
            services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = gracePeriod
        configuration.maximumCancellationDuration = cancellationLimit
        try await ServiceGroup(configuration: configuration).run()
    }
}
