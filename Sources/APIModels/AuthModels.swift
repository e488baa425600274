/// The tokens of `POST /api/v1/auth/register`, `/login` and `/refresh` (the user that
/// comes with them is left out: the client does not read it).
public struct TokenResource: Codable, Sendable {
    public var accessToken: String
    public var refreshToken: String
    /// Seconds the access token lives.
    public var expiresIn: Int

    public enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case refreshToken = "refresh_token"
        case expiresIn = "expires_in"
    }
}

/// An error answer (RFC 9457 problem details), as far as a client shows it.
public struct ProblemResource: Codable, Sendable {
    public var title: String?
    public var detail: String?
}

/// `GET /api/v1/users/me`, as far as a client shows it.
public struct UserResource: Codable, Sendable {
    public var email: String
    public var role: String
}
