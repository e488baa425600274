public import Domain
public import Foundation
public import Ports

/// Turns a presented access token into the caller's claims, or refuses it: a bad
/// signature, wrong type, expiry, or a revoked token or session. When the denylist
/// cannot answer, the session store decides; if neither can, the request fails
/// rather than letting a revoked token through.
public struct AuthenticateAccessToken: Sendable {
    let verifier: any AccessTokenVerifier
    let denylist: any TokenDenylist
    let sessions: any SessionStore
    let clock: any Clock

    public init(verifier: any AccessTokenVerifier, denylist: any TokenDenylist, sessions: any SessionStore, clock: any Clock) {
        self.verifier = verifier
        self.denylist = denylist
        self.sessions = sessions
        self.clock = clock
    }

    public func callAsFunction(_ token: String) async throws -> AccessClaims {
        let claims: AccessClaims
        do { claims = try verifier.verify(token, now: clock.now()) } catch { throw UseCaseError.unauthenticated }
        let revoked: Bool
        do {
            revoked = try await denylist.isRevoked(tokenID: claims.tokenID, session: claims.sessionID)
        } catch {
            let session = try await sessions.session(id: claims.sessionID)
            revoked = session?.isRevoked ?? true
        }
        if revoked { throw UseCaseError.unauthenticated }
        return claims
    }
}
