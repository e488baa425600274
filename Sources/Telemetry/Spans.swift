public import Domain
public import Tracing

extension Telemetry {
    /// Runs `body` in a span named `name` (a child of the current span, or of `parent`
    /// when given), and marks the span failed if `body` throws. With tracing off, runs
    /// `body` alone with no span.
    public static func withSpan<Result>(
        _ name: String, continuing parent: TraceParent? = nil, ofKind kind: SpanKind = .internal,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (_ span: (any Span)?) async throws -> Result
    ) async rethrows -> Result {
        guard let span = startSpan(name, continuing: parent, ofKind: kind) else { return try await body(nil) }
        defer { span.end() }
        do {
            return try await InstrumentationContext.$current.withValue(
                span.context, operation: { try await body(span) }, isolation: isolation)
        } catch is CancellationError {
            // Work called off (a report withdrawn, a shutdown) has not failed.
            span.attributes["cloudtask.cancelled"] = true
            throw CancellationError()
        } catch {
            span.setStatus(SpanStatus(code: .error, message: Self.describe(error)))
            throw error
        }
    }

    /// Starts a span that the caller ends (for work whose end is not a closure's end).
    /// Nil with tracing off.
    public static func startSpan(
        _ name: String, continuing parent: TraceParent? = nil, ofKind kind: SpanKind = .internal
    ) -> (any Span)? {
        guard let tracer else { return nil }
        let context = parent.map { Self.context(continuing: $0) } ?? InstrumentationContext.current ?? .topLevel
        return tracer.startSpan(name, context: context, ofKind: kind)
    }

    /// A short, bounded description of an error for a span's status: its type and
    /// first 200 bytes (span data leaves the process; it must not carry unbounded text).
    public static func describe(_ error: any Error) -> String {
        let text = "\(type(of: error)): \(error)"
        return text.utf8.count <= 200 ? text : String(decoding: text.utf8.prefix(200), as: UTF8.self)
    }
}

extension Telemetry {
    /// Like `withSpan`, but only inside a span: a client call (a statement, a Redis
    /// command, a publish) is traced as part of the work that made it, and the polls and
    /// heartbeats that run outside any traced work make no root spans of their own.
    public static func withChildSpan<Result>(
        _ name: String, ofKind kind: SpanKind = .client, isolation: isolated (any Actor)? = #isolation,
        _ body: (_ span: (any Span)?) async throws -> Result
    ) async rethrows -> Result {
        guard isOn, InstrumentationContext.current != nil else { return try await body(nil) }
        return try await withSpan(name, ofKind: kind, isolation: isolation, body)
    }
}
