import Application
import Domain
import Foundation
import Ports
import Hummingbird
import Logging

/// Requires a valid, unrevoked access token (`Authorization: Bearer …`), counts the
/// caller's rate limits in the same gate check, and puts the caller's claims in the
/// context. Every authentication failure is the same 401, and comes before any 429.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let authenticate: AuthenticateAccessToken
    /// The per-user limits of this request, keyed by the caller.
    let limits: @Sendable (Request, AccessClaims) -> [RateLimitCheck]

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.count > 7,
              header.prefix(7).lowercased() == "bearer " else { throw APIError.unauthenticated }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        var context = context
        let admitted = try await authenticate(token) { claims in limits(request, claims) }
        context.caller = admitted.claims
        context.logger[metadataKey: "user_id"] = .string(admitted.claims.userID.description)
        try RateLimitHeaders.apply(admitted.decisions, to: context)
        return try await next(request, context)
    }
}
