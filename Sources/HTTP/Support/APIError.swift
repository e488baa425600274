import Domain

/// Failures the HTTP layer itself detects (request shape, authentication, limits).
/// Use-case failures arrive as `UseCaseError`; `ProblemMapping` turns both into problem
/// details in one place.
enum APIError: Error, Sendable {
    /// Missing, malformed, expired, tampered or revoked token (401 with WWW-Authenticate).
    case unauthenticated
    /// The body is not JSON, is not an object, or has fields of the wrong type (400).
    case malformedBody(String)
    /// Fields that the endpoint does not know (400, naming them).
    case unknownFields([String])
    case invalid(ValidationFailure)
    case unsupportedMediaType
    case payloadTooLarge(limit: Int)
    /// An upload without a `Content-Length` (411): its size must be known before it is read.
    case lengthRequired
    case rateLimited(retryAfter: Int)
    /// The caller (429) or this process (503) has as many live streams open as allowed.
    case tooManyStreams(perUser: Bool)
    case metricsUnauthorized
    /// The path exists, with these methods only.
    case methodNotAllowed([String])
}
