public import Domain
public import Foundation

/// What an access token says: who, in which session, until when.
public struct AccessClaims: Hashable, Sendable {
    public let userID: UserID
    public let role: Role
    public let sessionID: SessionID
    public let tokenID: UUID
    public let issuedAt: Date
    public let expiresAt: Date

    public init(userID: UserID, role: Role, sessionID: SessionID, tokenID: UUID, issuedAt: Date, expiresAt: Date) {
        self.userID = userID
        self.role = role
        self.sessionID = sessionID
        self.tokenID = tokenID
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }
}

/// Why a presented access token was refused. Clients see one answer for all of them.
public enum TokenRejection: Error, Hashable, Sendable {
    case malformed, badSignature, wrongAlgorithm, wrongType, wrongIssuer, wrongAudience, expired, unknownKey
}

/// Signs access tokens (JWTs in production).
public protocol AccessTokenIssuer: Sendable {
    func issue(_ claims: AccessClaims) throws -> String
}

/// Checks access tokens: signature with a pinned algorithm, issuer, audience, type
/// and expiry. Revocation is not its concern (see `TokenDenylist`).
public protocol AccessTokenVerifier: Sendable {
    func verify(_ token: String, now: Date) throws(TokenRejection) -> AccessClaims
}

/// Makes opaque refresh tokens and hashes them for storage.
public protocol RefreshTokenMinter: Sendable {
    /// A new random token and the hash to store for it.
    func mint() -> (token: String, hash: RefreshTokenHash)
    /// The stored hash of a presented token; nil when it cannot be one of ours.
    func hash(_ token: String) -> RefreshTokenHash?
}
