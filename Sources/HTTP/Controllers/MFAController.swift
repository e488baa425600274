import Application
import Domain
import Hummingbird

/// Two-factor login: `POST /auth/mfa` (the login's second step) and `/users/me/mfa*`
/// (status, enrolment, confirmation, disabling).
struct MFAController {
    let useCases: APIUseCases

    func complete(_ request: Request, context: APIContext) async throws -> Response {
        let body = try await JSONBody.decode(MFALoginRequest.self, from: request, allowed: MFALoginRequest.fields)
        let proof: CompleteMFALogin.Proof
        switch (body.code, body.recoveryCode) {
        case (let code?, nil): proof = .code(code)
        case (nil, let recovery?): proof = .recoveryCode(recovery)
        default:
            throw APIError.invalid(ValidationFailure(field: "code", "send exactly one of code and recovery_code"))
        }
        let tokens = try await useCases.mfa.complete(mfaToken: body.mfaToken, proof: proof, context: context.audit)
        return try Responses.json(TokenRepresentation(tokens: tokens))
    }

    func status(_ request: Request, context: APIContext) async throws -> Response {
        let status = try await useCases.mfa.status(caller: try context.requireCaller())
        return try Responses.json(
            MFAStatusRepresentation(
                available: status.available, totp: .init(enabled: status.enabled, pending: status.pending),
                recoveryCodesLeft: status.recoveryCodesLeft))
    }

    func enrol(_ request: Request, context: APIContext) async throws -> Response {
        let enrolment = try await useCases.mfa.enrol(caller: try context.requireCaller())
        return try Responses.json(
            TOTPEnrolmentRepresentation(secret: enrolment.secret, otpauthURI: enrolment.uri, qrSVG: enrolment.qrSVG),
            status: .created)
    }

    func confirm(_ request: Request, context: APIContext) async throws -> Response {
        let body = try await JSONBody.decode(MFACodeRequest.self, from: request, allowed: MFACodeRequest.fields)
        let codes = try await useCases.mfa.confirm(caller: try context.requireCaller(), code: body.code, context: context.audit)
        return try Responses.json(RecoveryCodesRepresentation(recoveryCodes: codes))
    }

    func disable(_ request: Request, context: APIContext) async throws -> Response {
        let body = try await JSONBody.decode(MFADisableRequest.self, from: request, allowed: MFADisableRequest.fields)
        try await useCases.mfa.disable(
            caller: try context.requireCaller(), password: body.password, code: body.code, context: context.audit)
        return Responses.empty(.noContent)
    }
}

struct MFAStatusRepresentation: Encodable {
    struct TOTP: Encodable {
        let enabled: Bool
        let pending: Bool
    }
    let available: Bool
    let totp: TOTP
    let recoveryCodesLeft: Int

    enum CodingKeys: String, CodingKey {
        case available, totp
        case recoveryCodesLeft = "recovery_codes_left"
    }
}

struct TOTPEnrolmentRepresentation: Encodable {
    let secret: String
    let otpauthURI: String
    let qrSVG: String

    enum CodingKeys: String, CodingKey {
        case secret
        case otpauthURI = "otpauth_uri"
        case qrSVG = "qr_svg"
    }
}

struct RecoveryCodesRepresentation: Encodable {
    let recoveryCodes: [String]
    enum CodingKeys: String, CodingKey { case recoveryCodes = "recovery_codes" }
}
