import Application
import Domain
import Ports
import Hummingbird
import Logging

/// Requires a valid, unrevoked access token (`Authorization: Bearer …`) and puts the
/// caller's claims in the context. Every failure is the same 401.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let authenticate: AuthenticateAccessToken

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.count > 7,
              header.prefix(7).lowercased() == "bearer " else { throw APIError.unauthenticated }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        var context = context
        let caller = try await authenticate(token)
        context.caller = caller
        context.logger[metadataKey: "user_id"] = .string(caller.userID.description)
        return try await next(request, context)
    }
}

import Foundation
