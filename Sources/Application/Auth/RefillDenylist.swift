import Domain
import Foundation
public import Ports

/// Copies the sessions revoked within the last access-token lifetime from the session
/// store into the denylist. Run when a denylist that missed writes (its server was
/// down) answers again: without it, a session revoked during the outage would pass the
/// denylist check until its access tokens expired.
public struct RefillDenylist: Sendable {
    let sessions: any SessionStore
    let denylist: any TokenDenylist
    let clock: any WallClock
    let accessTokenTTLSeconds: Int

    public init(sessions: any SessionStore, denylist: any TokenDenylist, clock: any WallClock, accessTokenTTLSeconds: Int) {
        self.sessions = sessions
        self.denylist = denylist
        self.clock = clock
        self.accessTokenTTLSeconds = accessTokenTTLSeconds
    }

    /// Returns how many sessions were written; throws if either store fails (retry later).
    @discardableResult
    public func callAsFunction() async throws -> Int {
        let now = clock.now()
        let lifetime = TimeInterval(accessTokenTTLSeconds)
        let revoked = try await sessions.revoked(since: now.addingTimeInterval(-lifetime))
        for session in revoked {
            // Access tokens of this session were issued before it was revoked, so none
            // outlives `revokedAt + lifetime`.
            let until = (session.revokedAt ?? now).addingTimeInterval(lifetime)
            try await denylist.revoke(session: session.id, until: until)
        }
        return revoked.count
    }
}
