import Application
import Domain
import Foundation
import Hummingbird
import Logging
import Ports

/// Requires a valid, unrevoked access token (`Authorization: Bearer …`), counts the
/// caller's rate limits in the same gate check, and puts the caller's claims in the
/// context. Every authentication failure is the same 401, and comes before any 429.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let authenticate: AuthenticateAccessToken
    /// The per-user limits of this request, keyed by the caller.
    let limits: @Sendable (Request, AccessClaims) -> [RateLimitCheck]
    /// The cache entry this request will read, to fetch with the gate's question.
    let readAhead: @Sendable (Request) -> CacheKey?

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws
        -> Response
    {
        guard let header = request.headers[.authorization], let token = Self.bearerToken(header) else {
            throw APIError.unauthenticated
        }
        var context = context
        let admitted = try await authenticate(token, limits: { claims in limits(request, claims) }, readAhead: readAhead(request))
        context.caller = admitted.claims
        context.readAhead = admitted.readAhead
        context.logger[metadataKey: "user_id"] = .string(admitted.claims.userID.description)
        try RateLimitHeaders.apply(admitted.decisions, to: context)
        return try await next(request, context)
    }

    /// The token of `Bearer <token>` (scheme case-insensitive, blanks around the token
    /// ignored), on bytes: Foundation's trimming showed up in the profile of every request.
    static func bearerToken(_ header: String) -> String? {
        let bytes = header.utf8
        guard bytes.count > 7,
            zip(bytes.prefix(7), "bearer ".utf8).allSatisfy({ given, expected in
                given == expected || (expected >= 0x61 && expected <= 0x7A && given == expected - 0x20)
            })
        else { return nil }
        let isBlank = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        let rest = bytes.dropFirst(7).drop(while: isBlank)
        guard let last = rest.lastIndex(where: { !isBlank($0) }) else { return nil }
        return String(decoding: rest[rest.startIndex...last], as: UTF8.self)
    }
}
