import Domain
import Synchronization
public import Tracing

/// A tracer that samples, and records every span that fails whatever was decided.
///
/// Sampling happens when a span starts, before anyone knows whether it will fail. So
/// this tracer takes the decision itself (`TraceSampler`) and hands only the spans it
/// keeps to the exporter's tracer, which must record everything it is given (the
/// composition root configures it `always_on`). A span it drops still has a context to
/// pass on (the same trace, an id of its own, not sampled), and what a span would hold
/// (name, kind, start, attributes, events, status) is kept in memory until it ends. If
/// it ended failed it is recorded then, in the same trace, with its own start and end
/// times; its parent is the span its dropped parent stood for, which was not recorded
/// (a trace viewer shows it under a missing parent), and its id is new. A span that did
/// not fail costs that bookkeeping and nothing more.
public struct ErrorKeepingTracer<Base: Tracer>: Tracer {
    let base: Base
    let sampler: TraceSampler

    public init(_ base: Base, sampler: TraceSampler) {
        self.base = base
        self.sampler = sampler
    }

    public func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> InstrumentationContext, ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt
    ) -> ErrorKeepingSpan {
        let parent = context()
        let parentTrace = traceParent(of: parent)
        if sampler.samples(parent: parentTrace) {
            let span = base.startSpan(
                operationName, context: parent, ofKind: kind, at: instant(), function: function, file: fileID, line: line)
            // The base tracer's own context for this span (the key it inherited names the parent).
            var context = span.context
            context[SpanTraceKey.self] = written(context)
            return ErrorKeepingSpan(.recorded(span), context: context)
        }
        // Dropped: the same trace (or a new one), a span id of its own, not sampled. The
        // tracer's own context is set too, for a child that another sampler does record.
        var dropped = parent
        let own = TraceParent(traceID: parentTrace?.traceID ?? Self.randomHex(2), spanID: Self.randomHex(1), sampled: false)
        dropped[SpanTraceKey.self] = own
        if let own { base.extract(["traceparent": own.header], into: &dropped, using: HeaderExtractor()) }
        let pending = PendingSpan(
            name: operationName, kind: kind, startNanoseconds: instant().nanosecondsSinceEpoch, parent: parentTrace,
            own: own, record: { pending, end in record(pending, endNanoseconds: end) })
        return ErrorKeepingSpan(.pending(pending), context: dropped)
    }

    @available(*, deprecated, message: "forwards to the base tracer's, which the protocol deprecates")
    public func forceFlush() { base.forceFlush() }

    public func extract<Carrier, Extract>(
        _ carrier: Carrier, into context: inout InstrumentationContext, using extractor: Extract
    ) where Extract: Extractor, Extract.Carrier == Carrier {
        base.extract(carrier, into: &context, using: extractor)
    }

    public func inject<Carrier, Inject>(
        _ context: InstrumentationContext, into carrier: inout Carrier, using injector: Inject
    ) where Inject: Injector, Inject.Carrier == Carrier {
        base.inject(context, into: &carrier, using: injector)
    }

    /// The W3C context of `context`'s span, if it has one: ours when we made it (no
    /// formatting), else the base tracer's, written out and read back.
    private func traceParent(of context: InstrumentationContext) -> TraceParent? {
        if let known = context[SpanTraceKey.self] { return known }
        return written(context)
    }

    /// The base tracer's W3C context of `context`, written out and read back.
    private func written(_ context: InstrumentationContext) -> TraceParent? {
        Telemetry.written(context, by: base)
    }

    /// `words` random 64-bit words in hex (a trace id is two, a span id one).
    static func randomHex(_ words: Int) -> String {
        var text = ""
        for _ in 0..<words {
            let word = String(UInt64.random(in: 1...UInt64.max), radix: 16)
            text += String(repeating: "0", count: 16 - word.count) + word
        }
        return text
    }

    /// Records a failed span that was dropped, under a sampled copy of its parent's
    /// context (for a root, of its own), in its trace.
    private func record(_ pending: PendingSpan.Snapshot, endNanoseconds: UInt64) {
        guard let anchor = pending.parent ?? pending.own,
            let sampled = TraceParent(traceID: anchor.traceID, spanID: anchor.spanID, sampled: true)
        else { return }
        var parent = InstrumentationContext.topLevel
        base.extract(["traceparent": sampled.header], into: &parent, using: HeaderExtractor())
        let span = base.startSpan(
            pending.name, context: parent, ofKind: pending.kind, at: Nanoseconds(pending.startNanoseconds),
            function: #function, file: #fileID, line: #line)
        span.attributes = pending.attributes
        for event in pending.events { span.addEvent(event) }
        if let status = pending.status { span.setStatus(status) }
        span.end(at: Nanoseconds(endNanoseconds))
    }
}

/// A span of `ErrorKeepingTracer`: the base tracer's span when sampled, else a record
/// kept until the span ends.
public struct ErrorKeepingSpan: Span {
    enum Kind: Sendable {
        case recorded(any Span)
        case pending(PendingSpan)
    }

    let kind: Kind
    /// What children and other processes see (with `SpanTraceKey` set).
    public let context: InstrumentationContext

    init(_ kind: Kind, context: InstrumentationContext) {
        self.kind = kind
        self.context = context
    }

    public var operationName: String {
        get {
            switch kind {
            case .recorded(let span): span.operationName
            case .pending(let pending): pending.name
            }
        }
        nonmutating set {
            switch kind {
            case .recorded(let span): span.operationName = newValue
            case .pending(let pending): pending.rename(newValue)
            }
        }
    }

    public var attributes: SpanAttributes {
        get {
            switch kind {
            case .recorded(let span): span.attributes
            case .pending(let pending): pending.snapshot.attributes
            }
        }
        nonmutating set {
            switch kind {
            case .recorded(let span): span.attributes = newValue
            case .pending(let pending): pending.setAttributes(newValue)
            }
        }
    }

    public var isRecording: Bool {
        switch kind {
        case .recorded(let span): span.isRecording
        // Attributes set on it matter: they are recorded if it fails.
        case .pending: true
        }
    }

    public func setStatus(_ status: SpanStatus) {
        switch kind {
        case .recorded(let span): span.setStatus(status)
        case .pending(let pending): pending.setStatus(status)
        }
    }

    public func addEvent(_ event: SpanEvent) {
        switch kind {
        case .recorded(let span): span.addEvent(event)
        case .pending(let pending): pending.addEvent(event)
        }
    }

    public func recordError<Instant: TracerInstant>(
        _ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant
    ) {
        switch kind {
        case .recorded(let span): span.recordError(error, attributes: attributes, at: instant())
        case .pending(let pending):
            var event = SpanEvent(name: "exception", at: instant(), attributes: attributes)
            event.attributes["exception.type"] = "\(type(of: error))"
            event.attributes["exception.message"] = Telemetry.describe(error)
            pending.addEvent(event)
        }
    }

    public func addLink(_ link: SpanLink) {
        if case .recorded(let span) = kind { span.addLink(link) }
    }

    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        switch kind {
        case .recorded(let span): span.end(at: instant())
        case .pending(let pending): pending.end(at: instant().nanosecondsSinceEpoch)
        }
    }
}

/// What a dropped span held, kept until it ends.
final class PendingSpan: Sendable {
    struct Snapshot: Sendable {
        var name: String
        let kind: SpanKind
        let startNanoseconds: UInt64
        /// The parent's context (nil: the span began its trace).
        let parent: TraceParent?
        /// The context this span passed on.
        let own: TraceParent?
        var attributes: SpanAttributes = [:]
        var events: [SpanEvent] = []
        var status: SpanStatus?
        var ended = false
    }

    /// Events kept on a dropped span: a bound, so that a long-lived span cannot grow.
    static let maxEvents = 32

    private let state: Mutex<Snapshot>
    private let record: @Sendable (Snapshot, UInt64) -> Void

    init(
        name: String, kind: SpanKind, startNanoseconds: UInt64, parent: TraceParent?, own: TraceParent?,
        record: @escaping @Sendable (Snapshot, UInt64) -> Void
    ) {
        state = Mutex(Snapshot(name: name, kind: kind, startNanoseconds: startNanoseconds, parent: parent, own: own))
        self.record = record
    }

    var name: String { state.withLock { $0.name } }
    var snapshot: Snapshot { state.withLock { $0 } }
    func rename(_ name: String) { state.withLock { $0.name = name } }
    func setAttributes(_ attributes: SpanAttributes) { state.withLock { $0.attributes = attributes } }
    func setStatus(_ status: SpanStatus) { state.withLock { $0.status = status } }
    func addEvent(_ event: SpanEvent) {
        state.withLock { if $0.events.count < Self.maxEvents { $0.events.append(event) } }
    }

    func end(at nanoseconds: UInt64) {
        let finished: Snapshot? = state.withLock { state in
            guard !state.ended else { return nil }
            state.ended = true
            return state
        }
        guard let finished, finished.status?.code == .error else { return }
        record(finished, nanoseconds)
    }
}

/// An instant given in nanoseconds since the epoch.
struct Nanoseconds: TracerInstant {
    let nanosecondsSinceEpoch: UInt64
    init(_ value: UInt64) { nanosecondsSinceEpoch = value }
    static func < (lhs: Self, rhs: Self) -> Bool { lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch }
}
