public import Domain
import Foundation
public import Ports

/// An authenticated request's caller, with the rate-limit decisions taken for it.
public struct AdmittedCaller: Sendable {
    public let claims: AccessClaims
    /// One per limit asked for, in order; the caller refuses the request if any says no.
    public let decisions: [RateLimitDecision]
    /// The cache entry read along with the gate's question, when one was asked for.
    public let readAhead: CacheReadAhead?
}

/// Turns a presented access token into the caller's claims, or refuses it: a bad
/// signature, wrong type, expiry, or a revoked token or session. The revocation check
/// and the caller's rate limits are one question to the `AccessGate` (one Redis round
/// trip). When the denylist cannot answer, the session store decides; if neither can,
/// the request fails rather than letting a revoked token through.
public struct AuthenticateAccessToken: Sendable {
    let verifier: any AccessTokenVerifier
    let gate: any AccessGate
    let sessions: any SessionStore
    let clock: any WallClock

    public init(verifier: any AccessTokenVerifier, gate: any AccessGate, sessions: any SessionStore, clock: any WallClock) {
        self.verifier = verifier
        self.gate = gate
        self.sessions = sessions
        self.clock = clock
    }

    /// `limits` names the counts to take for this caller (known once the token is read);
    /// `readAhead`, a cache entry the request will read, fetched in the same round trip.
    public func callAsFunction(
        _ token: String, limits: (AccessClaims) -> [RateLimitCheck] = { _ in [] }, readAhead: CacheKey? = nil
    ) async throws -> AdmittedCaller {
        let now = clock.now()
        let claims: AccessClaims
        do { claims = try verifier.verify(token, now: now) } catch { throw UseCaseError.unauthenticated }
        let answer = try await gate.check(
            tokenID: claims.tokenID, session: claims.sessionID, limits: limits(claims), now: now,
            readAhead: readAhead)
        let revoked: Bool
        if let listed = answer.revoked {
            revoked = listed
        } else {
            let session = try await sessions.session(id: claims.sessionID)
            revoked = session?.isRevoked ?? true
        }
        if revoked { throw UseCaseError.unauthenticated }
        return AdmittedCaller(claims: claims, decisions: answer.decisions, readAhead: answer.readAhead)
    }

    /// Whether a caller admitted earlier may still be served: its token has not expired
    /// and its session was not revoked since (a long-lived stream asks at each
    /// heartbeat). When neither store can answer, no: the stream ends, and the client
    /// comes back through the full check.
    public func isStillValid(_ claims: AccessClaims) async -> Bool {
        let now = clock.now()
        guard claims.expiresAt > now else { return false }
        guard let answer = try? await gate.check(tokenID: claims.tokenID, session: claims.sessionID, limits: [], now: now) else {
            return false
        }
        if let listed = answer.revoked { return !listed }
        do {
            guard let session = try await sessions.session(id: claims.sessionID) else { return false }
            return !session.isRevoked
        } catch {
            return false
        }
    }
}
