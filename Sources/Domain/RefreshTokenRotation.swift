public import Foundation

/// What presenting a refresh token decides. The rule of rotating refresh tokens: each is
/// good once; a token presented after it was spent was copied (by a thief, or by a
/// client that lost the race to its own retry), so the whole session goes. Decided here
/// once; each session store applies the verdict inside its locked unit of work.
public enum RefreshTokenVerdict: Hashable, Sendable {
    /// The current token: spend it and make the next one current.
    case rotate
    /// A spent token came back: revoke the session (`refresh_token_reuse`).
    case revokeSession
    /// The session was revoked, or the token expired: change nothing.
    case reject
}

extension Session {
    /// The verdict on a token of this session, spent or not, valid until `tokenExpiresAt`.
    public func verdict(tokenSpent: Bool, tokenExpiresAt: Date, now: Date) -> RefreshTokenVerdict {
        if isRevoked { return .reject }
        if tokenSpent { return .revokeSession }
        return now >= tokenExpiresAt ? .reject : .rotate
    }

    /// The session as revoked for the reuse of a spent refresh token.
    public func revokedForReuse(at now: Date) -> Session {
        var revoked = self
        revoked.revokedAt = now
        revoked.revocationReason = .refreshTokenReuse
        return revoked
    }
}
