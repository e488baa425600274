import Application
import CoreMetrics
import Hummingbird

/// Counts requests and times them, labelled by method, route template (never the raw
/// path: ids would make the series unbounded) and status.
struct HTTPMetricsMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let factory: any MetricsFactory

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws
        -> Response
    {
        let started = ContinuousClock.now
        let status: Int
        let response: Response
        do {
            response = try await next(request, context)
            status = response.status.code
        } catch {
            record(request, context, status: ProblemMapping.problem(for: error).status.code, since: started)
            throw error
        }
        record(request, context, status: status, since: started)
        return response
    }

    private func record(_ request: Request, _ context: APIContext, status: Int, since started: ContinuousClock.Instant) {
        let route = context.endpointPath ?? "unmatched"
        let method = request.method.rawValue
        Counter(
            label: MetricNames.httpRequests, dimensions: [("method", method), ("route", route), ("status", String(status))],
            factory: factory
        ).increment()
        let elapsed = ContinuousClock.now - started
        let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        Timer(
            label: MetricNames.httpRequestDuration, dimensions: [("method", method), ("route", route)],
            factory: factory
        ).recordNanoseconds(nanoseconds)
    }
}
