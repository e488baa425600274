public import Domain
import Foundation
import Ports

/// The failures a use case reports, in the vocabulary of the API contract. The HTTP
/// layer maps each to one status in one place; anything else is an internal error.
public enum UseCaseError: Error, Hashable, Sendable {
    /// The input breaks a rule (400).
    case invalid(ValidationFailure)
    /// Bad credentials, or a token that is missing, malformed, expired or revoked (401).
    case unauthenticated
    /// The caller's role may never do this (403).
    case forbidden(String)
    /// Absent, or someone else's (404).
    case notFound
    /// The resource's state forbids it (409).
    case conflict(String)
    /// A policy of this deployment forbids it (422).
    case unprocessable(String)
    /// The password was right and the account has a second factor: the login goes on
    /// at `POST /auth/mfa` with this token (401, problem type `mfa-required`).
    case mfaRequired(token: String, expiresIn: Int)
    /// The caller's token is fine but the password or code they gave for this action is
    /// not (401 without `WWW-Authenticate: … invalid_token`: no refresh will help).
    case wrongCredentials(String)
    /// The password was right but this deployment requires a confirmed address first
    /// (403, problem type `email-unverified`).
    case emailUnverified
    /// A service this needs is down or not configured here (503).
    case unavailable(String)
    /// Too many attempts for this account (429 with Retry-After).
    case rateLimited(retryAfterSeconds: Int)

    static func invalid(field: String, _ message: String) -> UseCaseError {
        .invalid(ValidationFailure(field: field, message))
    }
}
