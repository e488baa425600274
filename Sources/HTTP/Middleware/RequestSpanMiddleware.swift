import Hummingbird
import Telemetry
import Tracing

/// A server span for every request, named by method and route template (never the raw
/// path: ids would make names unbounded), with the status. A 5xx is an error; a 4xx is
/// the client's and is not. Added first, and only when tracing is on.
///
/// A client's own `traceparent` is not continued: every request starts a trace of the
/// service's own, so a caller can neither choose another user's trace id nor force the
/// sampling of what it sends (docs/tracing.md).
struct RequestSpanMiddleware: RouterMiddleware {
    typealias Context = APIContext

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws
        -> Response
    {
        guard let span = Telemetry.startSpan(request.method.rawValue, continuing: nil, ofKind: .server) else {
            return try await next(request, context)
        }
        defer { span.end() }
        span.attributes["http.request.method"] = request.method.rawValue
        do {
            let response = try await InstrumentationContext.$current.withValue(span.context) {
                try await next(request, context)
            }
            finish(span, request, context, status: response.status.code)
            return response
        } catch {
            finish(span, request, context, status: ProblemMapping.problem(for: error).status.code)
            throw error
        }
    }

    private func finish(_ span: any Span, _ request: Request, _ context: APIContext, status: Int) {
        let route = context.endpointPath ?? "unmatched"
        span.operationName = "\(request.method.rawValue) \(route)"
        span.attributes["http.route"] = route
        span.attributes["http.response.status_code"] = status
        if status >= 500 { span.setStatus(SpanStatus(code: .error, message: "HTTP \(status)")) }
    }
}
