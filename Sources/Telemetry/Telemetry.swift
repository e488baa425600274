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
    /// The tracer, read without the lock of `InstrumentationSystem`'s (every span reads
    /// it). Safe without one: `bootstrap` writes it once, before storing `on` with release
    /// ordering, and it is read only after `on` was loaded true with acquire ordering.
    nonisolated(unsafe) private static var installed: (any Tracer)?

    /// Whether spans are recorded in this process.
    @inline(__always)
    public static var isOn: Bool { on.load(ordering: .relaxed) }

    /// The process's tracer; nil with tracing off.
    static var tracer: (any Tracer)? { on.load(ordering: .acquiring) ? installed : nil }

    /// Installs `tracer` for the whole process (and as `InstrumentationSystem`'s, for
    /// libraries that use that); call once, before serving.
    public static func bootstrap(_ tracer: some Tracer) {
        installed = tracer
        InstrumentationSystem.bootstrap(tracer)
        on.store(true, ordering: .releasing)
    }

    /// The context a span started under `parent` belongs to: the remote parent's trace.
    public static func context(continuing parent: TraceParent) -> InstrumentationContext {
        var context = InstrumentationContext.topLevel
        context[SpanTraceKey.self] = parent
        tracer?.extract(["traceparent": parent.header], into: &context, using: HeaderExtractor())
        return context
    }

    /// The W3C context of `context`'s span (nil: tracing off, or no span).
    public static func traceParent(of context: InstrumentationContext?) -> TraceParent? {
        guard let tracer, let context else { return nil }
        return context[SpanTraceKey.self] ?? written(context, by: tracer)
    }

    /// The W3C context `instrument` writes for `context`, read back.
    public static func written(_ context: InstrumentationContext, by instrument: some Instrument) -> TraceParent? {
        var headers: [String: String] = [:]
        instrument.inject(context, into: &headers, using: HeaderInjector())
        return headers["traceparent"].flatMap { TraceParent(header: $0) }
    }

    /// The W3C context of the current task's span.
    public static var currentTraceParent: TraceParent? { traceParent(of: InstrumentationContext.current) }
}

/// The W3C context of the span a context belongs to, kept beside the tracer's own so
/// that reading it (for a child's sampling decision, a header, a job) formats and parses
/// nothing. Set by `ErrorKeepingTracer` on every span's context it hands out.
public enum SpanTraceKey: InstrumentationContextKey {
    public typealias Value = TraceParent
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
