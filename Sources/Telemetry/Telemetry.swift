public import Domain
import Synchronization
public import Tracing

/// Whether this process records spans, and the conversions between a job's stored
/// trace context and the tracer's own.
///
/// Tracing is off unless the process's composition root calls `bootstrap` (it does when
/// an OTLP endpoint is configured: docs/tracing.md). Every span this project makes goes
/// through `Telemetry.isOn` first, one relaxed atomic load, so a process without an
/// exporter pays nothing else on its hot paths: no span, no task-local, and not the
/// lock that `InstrumentationSystem.tracer` takes on every read.
public enum Telemetry {
    private static let on = Atomic<Bool>(false)

    /// Whether spans are recorded in this process.
    @inline(__always)
    public static var isOn: Bool { on.load(ordering: .relaxed) }

    /// Installs `tracer` for the whole process; call once, before serving.
    public static func bootstrap(_ tracer: some Tracer) {
        InstrumentationSystem.bootstrap(tracer)
        on.store(true, ordering: .releasing)
    }

    /// The context a span started under `parent` belongs to: the remote parent's trace.
    public static func context(continuing parent: TraceParent) -> InstrumentationContext {
        var context = InstrumentationContext.topLevel
        InstrumentationSystem.instrument.extract(
            ["traceparent": parent.header], into: &context, using: HeaderExtractor())
        return context
    }

    /// The W3C context of `context`'s span (nil: tracing off, or no span).
    public static func traceParent(of context: InstrumentationContext?) -> TraceParent? {
        guard isOn, let context else { return nil }
        var headers: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &headers, using: HeaderInjector())
        return headers["traceparent"].flatMap { TraceParent(header: $0) }
    }

    /// The W3C context of the current task's span.
    public static var currentTraceParent: TraceParent? { traceParent(of: InstrumentationContext.current) }
}

/// Reads propagation headers from a plain dictionary.
public struct HeaderExtractor: Extractor {
    public init() {}
    public func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}

/// Writes propagation headers into a plain dictionary.
public struct HeaderInjector: Injector {
    public init() {}
    public func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}
