import Domain
import Synchronization
import Telemetry
import Testing
import Tracing

/// The tracer that samples and keeps failed spans (docs/tracing.md), over a base tracer
/// that records whatever it is given and propagates W3C context, as swift-otel's does.
@Suite("Error-keeping tracer")
struct ErrorKeepingTracerTests {
    @Test("a sampled trace goes to the base tracer whole; a dropped one passes its trace on and records nothing")
    func sampling() throws {
        let base = RecordingTracer()
        let always = ErrorKeepingTracer(base, sampler: TraceSampler(root: .always, parentBased: true))
        let root = always.startSpan("request", context: .topLevel)
        let child = always.startSpan("statement", context: root.context)
        child.end()
        root.end()
        #expect(base.finished.map(\.name) == ["statement", "request"])
        #expect(base.finished[0].parent == base.finished[1].context)
        // What the spans hand out names each one itself, not the parent it inherited from.
        #expect(root.context[SpanTraceKey.self] == base.finished[1].context)
        #expect(child.context[SpanTraceKey.self] == base.finished[0].context)

        let never = RecordingTracer()
        let dropping = ErrorKeepingTracer(never, sampler: TraceSampler(root: .never, parentBased: true))
        let dropped = dropping.startSpan("request", context: .topLevel)
        dropped.attributes["http.route"] = "/x"
        let inner = dropping.startSpan("statement", context: dropped.context)
        let own = try #require(Telemetry.written(dropped.context, by: never))
        let innerOwn = try #require(Telemetry.written(inner.context, by: never))
        #expect(!own.sampled && innerOwn.traceID == own.traceID && innerOwn.spanID != own.spanID)
        inner.end()
        dropped.end()
        #expect(never.finished.isEmpty)
    }

    @Test("a dropped span that fails is recorded in its trace, under its dropped parent, with its attributes and status")
    func keepsFailures() throws {
        let base = RecordingTracer()
        let tracer = ErrorKeepingTracer(base, sampler: TraceSampler(root: .never, parentBased: true))
        let run = tracer.startSpan("run job", context: .topLevel)
        let program = tracer.startSpan("exec false", context: run.context)
        program.attributes["process.exit.code"] = 1
        for n in 0..<100 { program.addEvent(SpanEvent(name: "event \(n)")) }
        program.setStatus(SpanStatus(code: .error, message: "exit code 1"))
        program.end()
        program.end()  // a second end changes nothing
        run.end()
        let recorded = try #require(base.finished.first)
        #expect(base.finished.count == 1, "only the failed span")
        let runContext = try #require(Telemetry.written(run.context, by: base))
        #expect(recorded.name == "exec false" && recorded.status?.code == .error)
        #expect(recorded.attributes["process.exit.code"]?.toSpanAttribute() == .int64(1))
        #expect(recorded.events.count == 32, "events kept on a dropped span are bounded")
        #expect(recorded.parent?.traceID == runContext.traceID && recorded.parent?.spanID == runContext.spanID)
        #expect(recorded.parent?.sampled == true)
    }
}

/// Records every span it is given, with W3C propagation through a context key of its own.
final class RecordingTracer: Tracer {
    struct Finished: Sendable {
        let name: String
        let context: TraceParent
        let parent: TraceParent?
        let attributes: SpanAttributes
        let events: [SpanEvent]
        let status: SpanStatus?
    }

    enum Key: InstrumentationContextKey { typealias Value = TraceParent }

    private let ended = Mutex<[Finished]>([])
    var finished: [Finished] { ended.withLock { $0 } }

    func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> InstrumentationContext, ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt
    ) -> RecordingSpan {
        let parent = context()[Key.self]
        let own = TraceParent(
            traceID: parent?.traceID ?? String(repeating: "ab", count: 16),
            spanID: String(UInt64.random(in: 1...UInt64.max), radix: 16).padding(16),
            sampled: true)!
        var spanContext = context()
        spanContext[Key.self] = own
        return RecordingSpan(name: operationName, context: spanContext, own: own, parent: parent) { [self] span in
            ended.withLock { $0.append(span) }
        }
    }

    @available(*, deprecated)
    func forceFlush() {}

    func extract<Carrier, Extract>(_ carrier: Carrier, into context: inout InstrumentationContext, using extractor: Extract)
    where Extract: Extractor, Extract.Carrier == Carrier {
        context[Key.self] = extractor.extract(key: "traceparent", from: carrier).flatMap { TraceParent(header: $0) }
    }

    func inject<Carrier, Inject>(_ context: InstrumentationContext, into carrier: inout Carrier, using injector: Inject)
    where Inject: Injector, Inject.Carrier == Carrier {
        if let trace = context[Key.self] { injector.inject(trace.header, forKey: "traceparent", into: &carrier) }
    }
}

final class RecordingSpan: Span {
    private struct State {
        var name: String
        var attributes: SpanAttributes = [:]
        var events: [SpanEvent] = []
        var status: SpanStatus?
    }

    let context: InstrumentationContext
    private let own: TraceParent
    private let parent: TraceParent?
    private let state: Mutex<State>
    private let onEnd: @Sendable (RecordingTracer.Finished) -> Void

    init(
        name: String, context: InstrumentationContext, own: TraceParent, parent: TraceParent?,
        onEnd: @escaping @Sendable (RecordingTracer.Finished) -> Void
    ) {
        self.context = context
        self.own = own
        self.parent = parent
        self.onEnd = onEnd
        state = Mutex(State(name: name))
    }

    var operationName: String {
        get { state.withLock { $0.name } }
        set { state.withLock { $0.name = newValue } }
    }

    var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set { state.withLock { $0.attributes = newValue } }
    }

    var isRecording: Bool { true }
    func setStatus(_ status: SpanStatus) { state.withLock { $0.status = status } }
    func addEvent(_ event: SpanEvent) { state.withLock { $0.events.append(event) } }
    func recordError<Instant: TracerInstant>(
        _ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant
    ) {}
    func addLink(_ link: SpanLink) {}
    func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        let state = state.withLock { $0 }
        onEnd(
            RecordingTracer.Finished(
                name: state.name, context: own, parent: parent, attributes: state.attributes, events: state.events,
                status: state.status))
    }
}

extension String {
    fileprivate func padding(_ length: Int) -> String { String(repeating: "0", count: max(0, length - count)) + self }
}
