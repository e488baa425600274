import HTTPTypes
import Hummingbird

/// Turns the router's "no route" into `405 Method Not Allowed` (with `Allow`) when the
/// path exists with other methods.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let table: RouteTable

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = table.methods(for: request.uri.path)
            guard !allowed.isEmpty, !allowed.contains(request.method) else { throw error }
            throw APIError.methodNotAllowed(allowed.map(\.rawValue))
        }
    }
}
