import Domain
import Foundation
import Ports
import Testing

@Suite("Contract: SessionStore")
struct SessionStoreContract {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func session(user: UserID = UserID(UUID()), expiresIn: Double = 3600) -> Session {
        Session(id: SessionID(UUID()), userID: user, createdAt: t0, expiresAt: t0.addingTimeInterval(expiresIn))
    }

    static func token() -> RefreshTokenHash { RefreshTokenHash(UUID().uuidString) }

    @Test("rotation spends the token; presenting it again revokes the session", arguments: Adapters.sessionStores)
    func rotationAndReuse(adapter: Adapter<any SessionStore>) async throws {
        try await adapter.run { store in
            let session = Self.session()
            let first = Self.token()
            let second = Self.token()
            let third = Self.token()
            try await store.create(session, token: first, audit: nil)
            let expiry = Self.t0.addingTimeInterval(7200)
            guard
                case .rotated(let rotated) = try await store.rotate(
                    presented: first, next: second, expiresAt: expiry, now: Self.t0, context: .none)
            else {
                Issue.record("expected rotation")
                return
            }
            #expect(rotated.id == session.id && rotated.expiresAt == expiry && !rotated.isRevoked)
            guard
                case .reused(let reused) = try await store.rotate(
                    presented: first, next: third, expiresAt: expiry, now: Self.t0, context: .none)
            else {
                Issue.record("expected reuse")
                return
            }
            #expect(reused.id == session.id && reused.isRevoked && reused.revocationReason == .refreshTokenReuse)
            #expect(try await store.session(id: session.id)?.isRevoked == true)
            // The current token of a revoked session is worthless now, and so is the one minted during reuse.
            #expect(
                try await store.rotate(presented: second, next: Self.token(), expiresAt: expiry, now: Self.t0, context: .none)
                    == .rejected)
            #expect(
                try await store.rotate(presented: third, next: Self.token(), expiresAt: expiry, now: Self.t0, context: .none)
                    == .unknown)
        }
    }

    @Test("unknown and expired tokens are refused without side effects", arguments: Adapters.sessionStores)
    func refusals(adapter: Adapter<any SessionStore>) async throws {
        try await adapter.run { store in
            let session = Self.session(expiresIn: 60)
            let token = Self.token()
            try await store.create(session, token: token, audit: nil)
            #expect(
                try await store.rotate(
                    presented: Self.token(), next: Self.token(), expiresAt: Self.t0, now: Self.t0, context: .none) == .unknown)
            #expect(
                try await store.rotate(
                    presented: token, next: Self.token(), expiresAt: Self.t0, now: Self.t0.addingTimeInterval(61), context: .none)
                    == .rejected)
            #expect(try await store.session(id: session.id)?.isRevoked == false)
        }
    }

    @Test("two requests racing with one token: exactly one rotates, the rest are reuse", arguments: Adapters.sessionStores)
    func racingRotation(adapter: Adapter<any SessionStore>) async throws {
        try await adapter.run { store in
            let session = Self.session()
            let token = Self.token()
            try await store.create(session, token: token, audit: nil)
            let results = try await withThrowingTaskGroup(of: RefreshRotation.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        try await store.rotate(
                            presented: token, next: Self.token(), expiresAt: Self.t0.addingTimeInterval(3600), now: Self.t0,
                            context: .none)
                    }
                }
                return try await group.reduce(into: [RefreshRotation]()) { $0.append($1) }
            }
            let rotated = results.filter { if case .rotated = $0 { true } else { false } }.count
            let refused = results.filter { if case .rotated = $0 { false } else { true } }.count
            #expect(rotated == 1 && refused == 15)
            #expect(results.contains { if case .reused = $0 { true } else { false } })
            #expect(try await store.session(id: session.id)?.isRevoked == true)
        }
    }

    @Test("revoking one session, or all but one", arguments: Adapters.sessionStores)
    func revocation(adapter: Adapter<any SessionStore>) async throws {
        try await adapter.run { store in
            let user = UserID(UUID())
            let sessions = (0..<3).map { _ in Self.session(user: user) }
            let stranger = Self.session()
            let tokens = (0..<3).map { _ in Self.token() }
            for (session, token) in zip(sessions, tokens) { try await store.create(session, token: token, audit: nil) }
            try await store.create(stranger, token: Self.token(), audit: nil)
            #expect(try await store.session(token: tokens[1])?.id == sessions[1].id)

            let revoked = try await store.revoke(sessions[0].id, reason: .logout, at: Self.t0, audit: nil)
            #expect(revoked?.revocationReason == .logout && revoked?.revokedAt == Self.t0)
            #expect(try await store.revoke(sessions[0].id, reason: .logout, at: Self.t0, audit: nil) == nil)

            let all = try await store.revokeAll(
                of: user, except: sessions[2].id, reason: .passwordChange, at: Self.t0, audit: nil)
            #expect(all.map(\.id) == [sessions[1].id])
            #expect(try await store.session(id: sessions[2].id)?.isRevoked == false)
            #expect(try await store.session(id: stranger.id)?.isRevoked == false)
            #expect(try await store.session(id: sessions[1].id)?.revocationReason == .passwordChange)
        }
    }

    @Test("sessions revoked since a time are listed; earlier and live ones are not", arguments: Adapters.sessionStores)
    func revokedSince(adapter: Adapter<any SessionStore>) async throws {
        try await adapter.run { store in
            let early = Self.session()
            let recent = Self.session()
            let live = Self.session()
            for session in [early, recent, live] { try await store.create(session, token: Self.token(), audit: nil) }
            _ = try await store.revoke(early.id, reason: .logout, at: Self.t0, audit: nil)
            _ = try await store.revoke(recent.id, reason: .refreshTokenReuse, at: Self.t0.addingTimeInterval(600), audit: nil)
            let listed = try await store.revoked(since: Self.t0.addingTimeInterval(300))
            #expect(listed.map(\.id) == [recent.id])
            #expect(listed.first?.revokedAt == Self.t0.addingTimeInterval(600))
        }
    }

    @Test("purge forgets sessions that ended before the cutoff", arguments: Adapters.sessionStores)
    func purge(adapter: Adapter<any SessionStore>) async throws {
        try await adapter.run { store in
            let old = Self.session(expiresIn: 10)
            let live = Self.session(expiresIn: 100_000)
            let revoked = Self.session(expiresIn: 100_000)
            for session in [old, live, revoked] { try await store.create(session, token: Self.token(), audit: nil) }
            _ = try await store.revoke(revoked.id, reason: .logout, at: Self.t0, audit: nil)
            #expect(try await store.purge(endedBefore: Self.t0.addingTimeInterval(20)) == 2)
            #expect(try await store.session(id: old.id) == nil)
            #expect(try await store.session(id: revoked.id) == nil)
            #expect(try await store.session(id: live.id) != nil)
        }
    }
}
