import Foundation
public import Logging
import OTel
public import ServiceLifecycle
import Synchronization
public import Telemetry

/// Turns tracing on for this process when an OTLP endpoint is configured, with the
/// standard `OTEL_*` variables (docs/tracing.md), and leaves it off (and free) when not.
///
/// Only traces are exported: metrics stay on `/metrics` (Prometheus) and logs on
/// standard error, where each line inside a span carries `trace_id` and `span_id`. The
/// sampler is the one `OTEL_TRACES_SAMPLER` names (parent-based always-on by default),
/// wrapped so that a span that fails is recorded even in a trace the sampler dropped
/// (`ErrorKeepingTracer`).
public enum TracingSetup {
    private static let exporter = Mutex<(any Service)?>(nil)

    /// The sampler `environment` asks for, when it asks for tracing: an OTLP endpoint is
    /// set, the SDK is not disabled, the exporter is OTLP, and the sampler is not
    /// `always_off`. Nil: tracing stays off. Throws for a sampler it cannot use.
    public static func requested(by environment: [String: String]) throws -> TraceSampler? {
        let endpoint = [environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"], environment["OTEL_EXPORTER_OTLP_ENDPOINT"]]
            .compactMap { $0?.trimmingCharacters(in: .whitespaces) }.contains { !$0.isEmpty }
        let disabled = environment["OTEL_SDK_DISABLED"]?.lowercased() == "true"
        let otlp = environment["OTEL_TRACES_EXPORTER"].map { $0.lowercased() == "otlp" } ?? true
        guard endpoint, !disabled, otlp else { return nil }
        let sampler = try TraceSampler.parse(
            name: environment["OTEL_TRACES_SAMPLER"], argument: environment["OTEL_TRACES_SAMPLER_ARG"])
        return sampler.isOff ? nil : sampler
    }

    /// Bootstraps tracing when `requested`; call once, before serving. The exporter's
    /// service then runs first in `ProcessGroup` (and so stops last, after the work whose
    /// last spans it sends). Throws for a setting the exporter refuses.
    public static func bootstrap(serviceName: String, environment: [String: String], logger: Logger) throws {
        guard let sampler = try requested(by: environment) else { return }
        var configuration = OTel.Configuration.default
        configuration.serviceName = serviceName
        configuration.metrics.enabled = false
        configuration.logs.enabled = false
        configuration.traces.exporter = .otlp
        // `ErrorKeepingTracer` samples; the exporter's tracer records what it is given.
        // It would read the sampler variables from the process's environment over this
        // setting, so they are taken out of it once read (jobs get an environment of
        // their own, not the worker's).
        configuration.traces.sampler = .alwaysOn
        unsetenv("OTEL_TRACES_SAMPLER")
        unsetenv("OTEL_TRACES_SAMPLER_ARG")
        // The context travels as W3C `traceparent` in rows, messages and headers, which
        // `Telemetry` reads and writes: no other propagator may replace it.
        configuration.propagators = [.traceContext]
        unsetenv("OTEL_PROPAGATORS")
        // A collector that is down must not hold up a process's stop: the last export
        // waits at most this long (the specification's default is 10 s; the variable
        // OTEL_EXPORTER_OTLP_TIMEOUT still wins).
        configuration.traces.otlpExporter.timeout = .seconds(3)
        configuration.traces.batchSpanProcessor.exportTimeout = .seconds(5)
        configuration.diagnosticLogger = .custom(logger)
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        Telemetry.bootstrap(ErrorKeepingTracer(backend.factory, sampler: sampler))
        exporter.withLock { $0 = backend.service }
        logger.notice(
            "tracing is on: spans go to the OTLP endpoint over HTTP/protobuf",
            metadata: ["sampler": "\(environment["OTEL_TRACES_SAMPLER"] ?? "parentbased_always_on")"])
    }

    /// `bootstrap` for an executable: false (after saying why on standard error) when a
    /// setting is refused, for the caller to exit with EX_CONFIG.
    public static func start(serviceName: String, logger: Logger) -> Bool {
        do {
            try bootstrap(serviceName: serviceName, environment: ProcessInfo.processInfo.environment, logger: logger)
            return true
        } catch {
            FileHandle.standardError.write(Data("tracing cannot start: \(error)\n".utf8))
            return false
        }
    }

    /// The exporter's service, once bootstrapped.
    static var service: (any Service)? { exporter.withLock { $0 } }

    /// What puts `trace_id` and `span_id` on log lines written inside a span.
    public static var logMetadata: Logger.MetadataProvider { OTel.makeLoggingMetadataProvider() }
}
