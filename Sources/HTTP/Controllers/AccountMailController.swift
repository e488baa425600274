import Application
import Hummingbird

/// `/auth/password-reset*` and `/auth/verify-email`: what the links in account mail lead
/// to. None of them waits on a mail server: mail is queued and sent in the background.
struct AccountMailController {
    let useCases: APIUseCases

    /// Always 202, whether or not the address has an account.
    func requestPasswordReset(_ request: Request, context: APIContext) async throws -> Response {
        let body = try await JSONBody.decode(PasswordResetRequest.self, from: request, allowed: PasswordResetRequest.fields)
        try await useCases.accountMail.requestPasswordReset(email: body.email, context: context.audit)
        return Responses.empty(.accepted)
    }

    func resetPassword(_ request: Request, context: APIContext) async throws -> Response {
        let body = try await JSONBody.decode(
            PasswordResetConfirmRequest.self, from: request, allowed: PasswordResetConfirmRequest.fields)
        try await useCases.accountMail.resetPassword(token: body.token, newPassword: body.newPassword, context: context.audit)
        return Responses.empty(.noContent)
    }

    func verifyEmail(_ request: Request, context: APIContext) async throws -> Response {
        let body = try await JSONBody.decode(VerifyEmailRequest.self, from: request, allowed: VerifyEmailRequest.fields)
        try await useCases.accountMail.verifyEmail(token: body.token, context: context.audit)
        return Responses.empty(.noContent)
    }
}
