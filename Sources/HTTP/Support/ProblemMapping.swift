import Application
import Domain
import HTTPTypes
import Hummingbird
import Ports

/// The one place where errors become HTTP. Anything not listed is a 500 that says
/// nothing about its cause (the log has it, under the request id).
enum ProblemMapping {
    static func problem(for error: any Error) -> ProblemDetails {
        switch error {
        case let error as UseCaseError: return problem(for: error)
        case let error as APIError: return problem(for: error)
        case PortError.busy:
            return ProblemDetails(
                status: .serviceUnavailable, slug: "busy", title: "Busy",
                detail: "too many password checks are waiting on this server; try again shortly",
                headers: [.retryAfter: "2"])
        case PortError.unavailable:
            return ProblemDetails(
                status: .serviceUnavailable, slug: "service-unavailable", title: "Service unavailable",
                detail: "a service this request needs is not answering; try again shortly",
                headers: [.retryAfter: "5"])
        case let error as HTTPError:
            return problem(for: error)
        default:
            return internalError
        }
    }

    static let internalError = ProblemDetails(
        status: .internalServerError, slug: "internal-error", title: "Internal server error",
        detail: "something went wrong on our side; the request id identifies it in our logs")

    private static func problem(for error: UseCaseError) -> ProblemDetails {
        switch error {
        case .invalid(let failure): return validation(failure)
        case .unauthenticated:
            return ProblemDetails(
                status: .unauthorized, slug: "unauthenticated", title: "Unauthenticated",
                detail: "the credentials or token are invalid, expired or revoked",
                headers: [.wwwAuthenticate: #"Bearer error="invalid_token""#])
        case .forbidden(let detail):
            return ProblemDetails(status: .forbidden, slug: "forbidden", title: "Forbidden", detail: detail)
        case .notFound:
            return ProblemDetails(status: .notFound, slug: "not-found", title: "Not found", detail: "no such resource")
        case .conflict(let detail):
            return ProblemDetails(status: .conflict, slug: "conflict", title: "Conflict", detail: detail)
        case .unprocessable(let detail):
            return ProblemDetails(
                status: .unprocessableContent, slug: "unprocessable", title: "Unprocessable request", detail: detail)
        case .mfaRequired(let token, let expiresIn):
            var problem = ProblemDetails(
                status: .unauthorized, slug: "mfa-required", title: "Second factor required",
                detail:
                    "the password is right; send a code from the authenticator (or a recovery code) to POST /api/v1/auth/mfa with this mfa_token",
                headers: [.wwwAuthenticate: #"Bearer error="invalid_token""#])
            problem.extensions = [("mfa_token", .string(token)), ("expires_in", .int(expiresIn))]
            return problem
        case .emailUnverified:
            return ProblemDetails(
                status: .forbidden, slug: "email-unverified", title: "Address not confirmed",
                detail:
                    "confirm the address with the link mailed at registration first (a password reset confirms it too)")
        case .wrongCredentials(let detail):
            return ProblemDetails(status: .unauthorized, slug: "wrong-credentials", title: "Wrong credentials", detail: detail)
        case .unavailable(let detail):
            return ProblemDetails(
                status: .serviceUnavailable, slug: "unavailable", title: "Service unavailable", detail: detail)
        case .rateLimited(let retryAfter):
            return ProblemDetails(
                status: .tooManyRequests, slug: "rate-limited", title: "Too many requests",
                detail: "too many attempts for this account; try again later", headers: [.retryAfter: String(retryAfter)])
        }
    }

    private static func problem(for error: APIError) -> ProblemDetails {
        switch error {
        case .unauthenticated, .metricsUnauthorized:
            return problem(for: UseCaseError.unauthenticated)
        case .malformedBody(let detail):
            return ProblemDetails(status: .badRequest, slug: "malformed-request", title: "Malformed request", detail: detail)
        case .unknownFields(let names):
            var problem = ProblemDetails(
                status: .badRequest, slug: "validation-failed", title: "Validation failed",
                detail: "unknown field\(names.count == 1 ? "" : "s"): \(names.joined(separator: ", "))")
            problem.errors = names.map { ($0, "is not a field of this request") }
            return problem
        case .invalid(let failure): return validation(failure)
        case .unsupportedMediaType:
            return ProblemDetails(
                status: .unsupportedMediaType, slug: "unsupported-media-type", title: "Unsupported media type",
                detail: "the body must be application/json")
        case .payloadTooLarge(let limit):
            return ProblemDetails(
                status: .contentTooLarge, slug: "payload-too-large", title: "Payload too large",
                detail: "the body must be at most \(limit) bytes")
        case .lengthRequired:
            return ProblemDetails(
                status: .lengthRequired, slug: "length-required", title: "Length required",
                detail: "an upload must declare its size in Content-Length")
        case .methodNotAllowed(let methods):
            return ProblemDetails(
                status: .methodNotAllowed, slug: "method-not-allowed", title: "Method not allowed",
                detail: "this path takes \(methods.joined(separator: ", "))",
                headers: [.allow: methods.joined(separator: ", ")])
        case .rateLimited(let retryAfter):
            return ProblemDetails(
                status: .tooManyRequests, slug: "rate-limited", title: "Too many requests",
                detail: "rate limit reached; retry in \(retryAfter) seconds",
                headers: [.retryAfter: String(retryAfter)])
        case .tooManyStreams(perUser: true):
            return ProblemDetails(
                status: .tooManyRequests, slug: "too-many-streams", title: "Too many streams",
                detail: "this account has as many live streams open as it may; close one first",
                headers: [.retryAfter: "5"])
        case .tooManyStreams(perUser: false):
            return ProblemDetails(
                status: .serviceUnavailable, slug: "too-many-streams", title: "Too many streams",
                detail: "this server has as many live streams open as it may; try again shortly",
                headers: [.retryAfter: "5"])
        }
    }

    private static func validation(_ failure: ValidationFailure) -> ProblemDetails {
        var problem = ProblemDetails(
            status: .badRequest, slug: "validation-failed", title: "Validation failed", detail: failure.summary)
        problem.errors = failure.issues.map { ($0.field, $0.message) }
        return problem
    }

    private static func problem(for error: HTTPError) -> ProblemDetails {
        switch error.status {
        case .notFound:
            return ProblemDetails(status: .notFound, slug: "not-found", title: "Not found", detail: "no such resource")
        case .methodNotAllowed:
            return ProblemDetails(
                status: .methodNotAllowed, slug: "method-not-allowed", title: "Method not allowed",
                detail: "this path does not take that method")
        case .contentTooLarge:
            return ProblemDetails(status: .contentTooLarge, slug: "payload-too-large", title: "Payload too large", detail: nil)
        case let status where status.code < 500:
            return ProblemDetails(status: status, slug: "bad-request", title: status.reasonPhrase, detail: nil)
        default:
            return internalError
        }
    }
}
