import Hummingbird
import NIOCore

/// Enforces the body limit on every route it wraps, whether or not the handler reads
/// the body, chunked or not: a declared length over the limit is refused at once, and
/// any other body is collected up to the limit (and handed on already collected).
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let limit: Int

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws
        -> Response
    {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw APIError.payloadTooLarge(limit: limit)
        }
        var request = request
        do {
            _ = try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.payloadTooLarge(limit: limit)
        } catch is NIOTooManyBytesError {
            // What collecting a chunked body past the limit throws.
            throw APIError.payloadTooLarge(limit: limit)
        }
        return try await next(request, context)
    }
}
