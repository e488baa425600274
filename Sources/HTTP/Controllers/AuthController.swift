import Application
import Hummingbird

/// `/auth/*` and `/users/me*`: accounts and sessions.
struct AuthController {
    let useCases: APIUseCases
    /// Counts a login attempt against the account it names (429 when exhausted); the
    /// per-address limit alone lets a client with many addresses guess one password.
    var countLoginAttempt: @Sendable (_ email: String, APIContext) async throws -> Void = { _, _ in }

    func register(_ request: Request, context: APIContext) async throws -> Response {
        let body = try await JSONBody.decode(RegisterRequest.self, from: request, allowed: RegisterRequest.fields)
        let tokens = try await useCases.register(
            email: body.email, password: body.password, username: body.username, context: context.audit)
        return try Responses.json(TokenRepresentation(tokens: tokens), status: .created)
    }

    func login(_ request: Request, context: APIContext) async throws -> Response {
        let body = try await JSONBody.decode(LoginRequest.self, from: request, allowed: LoginRequest.fields)
        try await countLoginAttempt(body.email, context)
        let tokens = try await useCases.login(email: body.email, password: body.password, context: context.audit)
        return try Responses.json(TokenRepresentation(tokens: tokens))
    }

    func refresh(_ request: Request, context: APIContext) async throws -> Response {
        let body = try await JSONBody.decode(RefreshRequest.self, from: request, allowed: RefreshRequest.fields)
        let tokens = try await useCases.refresh(refreshToken: body.refreshToken, context: context.audit)
        return try Responses.json(TokenRepresentation(tokens: tokens))
    }

    func logout(_ request: Request, context: APIContext) async throws -> Response {
        let body = try await JSONBody.decode(LogoutRequest.self, from: request, allowed: LogoutRequest.fields, emptyAllowed: true)
        try await useCases.logout(
            caller: try context.requireCaller(), refreshToken: body.refreshToken, all: body.all ?? false,
            context: context.audit)
        return Responses.empty(.noContent)
    }

    func profile(_ request: Request, context: APIContext) async throws -> Response {
        try Responses.json(UserRepresentation(profile: try await useCases.profile(caller: try context.requireCaller())))
    }

    func changePassword(_ request: Request, context: APIContext) async throws -> Response {
        let body = try await JSONBody.decode(ChangePasswordRequest.self, from: request, allowed: ChangePasswordRequest.fields)
        try await useCases.changePassword(
            caller: try context.requireCaller(), currentPassword: body.currentPassword,
            newPassword: body.newPassword, context: context.audit)
        return Responses.empty(.noContent)
    }
}
