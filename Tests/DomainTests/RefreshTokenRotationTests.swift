import Domain
import Foundation
import Testing

@Suite("Refresh-token rotation: the verdict")
struct RefreshTokenRotationTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    var session: Session {
        Session(
            id: SessionID(UUID()), userID: UserID(UUID()), createdAt: now.addingTimeInterval(-60),
            expiresAt: now.addingTimeInterval(3600))
    }

    @Test("a current token rotates; a spent one revokes the session; an expired one or a revoked session changes nothing")
    func verdicts() {
        #expect(session.verdict(tokenSpent: false, tokenExpiresAt: now.addingTimeInterval(1), now: now) == .rotate)
        #expect(session.verdict(tokenSpent: true, tokenExpiresAt: now.addingTimeInterval(1), now: now) == .revokeSession)
        #expect(session.verdict(tokenSpent: true, tokenExpiresAt: now.addingTimeInterval(-1), now: now) == .revokeSession)
        #expect(session.verdict(tokenSpent: false, tokenExpiresAt: now, now: now) == .reject)
        let revoked = session.revokedForReuse(at: now)
        #expect(revoked.isRevoked && revoked.revocationReason == .refreshTokenReuse && revoked.revokedAt == now)
        #expect(revoked.verdict(tokenSpent: true, tokenExpiresAt: now.addingTimeInterval(1), now: now) == .reject)
        #expect(revoked.verdict(tokenSpent: false, tokenExpiresAt: now.addingTimeInterval(1), now: now) == .reject)
    }
}
