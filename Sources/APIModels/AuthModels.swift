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
    public var type: String?
    public var title: String?
    public var detail: String?
    /// Set on `mfa-required`: the token for `POST /api/v1/auth/mfa`.
    public var mfaToken: String?

    public enum CodingKeys: String, CodingKey {
        case type, title, detail
        case mfaToken = "mfa_token"
    }

    /// The problem type's last path segment, e.g. `mfa-required`.
    public var slug: String? { type?.split(separator: "/").last.map(String.init) }
}

/// `POST /api/v1/users/me/mfa/totp`: an enrolment waiting for its first code.
public struct TOTPEnrolmentResource: Codable, Sendable {
    public var secret: String
    public var otpauthURI: String
    public var qrSVG: String

    public enum CodingKeys: String, CodingKey {
        case secret
        case otpauthURI = "otpauth_uri"
        case qrSVG = "qr_svg"
    }
}

/// `GET /api/v1/users/me/mfa`.
public struct MFAStatusResource: Codable, Sendable {
    public struct TOTP: Codable, Sendable {
        public var enabled: Bool
        public var pending: Bool
    }
    public var available: Bool
    public var totp: TOTP
    public var recoveryCodesLeft: Int

    public enum CodingKeys: String, CodingKey {
        case available, totp
        case recoveryCodesLeft = "recovery_codes_left"
    }
}

/// `GET /api/v1/users/me`, as far as a client shows it.
public struct UserResource: Codable, Sendable {
    public var email: String
    public var role: String
    /// Absent from servers that do not mail.
    public var emailVerified: Bool?

    public enum CodingKeys: String, CodingKey {
        case email, role
        case emailVerified = "email_verified"
    }
}
