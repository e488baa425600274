public import Foundation

/// A refresh-token family: born at login, rotated on every refresh, revoked as a whole
/// on logout, on reuse of a spent refresh token, or on a password change.
public struct Session: Hashable, Sendable, Codable {
    public let id: SessionID
    public let userID: UserID
    public let createdAt: Date
    /// When the current refresh token expires; moves forward on every rotation.
    public var expiresAt: Date
    public var revokedAt: Date?
    public var revocationReason: RevocationReason?

    public init(
        id: SessionID, userID: UserID, createdAt: Date, expiresAt: Date,
        revokedAt: Date? = nil, revocationReason: RevocationReason? = nil
    ) {
        self.id = id
        self.userID = userID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.revocationReason = revocationReason
    }

    public var isRevoked: Bool { revokedAt != nil }
    public func isExpired(at now: Date) -> Bool { now >= expiresAt }
}

/// Why a session ended early; kept for the audit trail and operators.
public enum RevocationReason: String, Hashable, Sendable, Codable {
    case logout
    case refreshTokenReuse = "refresh_token_reuse"
    case passwordChange = "password_change"
    /// Two-factor login was turned off: whoever else held a session is out.
    case mfaChange = "mfa_change"
}
