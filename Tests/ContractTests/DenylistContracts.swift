import Domain
import Foundation
import Ports
import Testing

@Suite("Contract: TokenDenylist")
struct TokenDenylistContract {
    @Test("revoked sessions and token ids are reported; others are not", arguments: Adapters.denylists)
    func revocation(adapter: Adapter<any TokenDenylist>) async throws {
        try await adapter.run { denylist in
            let session = SessionID(UUID())
            let other = SessionID(UUID())
            let token = UUID()
            let otherToken = UUID()
            let until = Date().addingTimeInterval(600)
            #expect(try await denylist.isRevoked(tokenID: token, session: session) == false)
            try await denylist.revoke(session: session, until: until)
            #expect(try await denylist.isRevoked(tokenID: otherToken, session: session))
            #expect(try await denylist.isRevoked(tokenID: otherToken, session: other) == false)
            try await denylist.revoke(tokenID: token, until: until)
            #expect(try await denylist.isRevoked(tokenID: token, session: other))
        }
    }

    @Test("an entry whose tokens have already expired is not kept", arguments: Adapters.denylists)
    func expired(adapter: Adapter<any TokenDenylist>) async throws {
        try await adapter.run { denylist in
            let session = SessionID(UUID())
            try await denylist.revoke(session: session, until: Date().addingTimeInterval(-1))
            #expect(try await denylist.isRevoked(tokenID: UUID(), session: session) == false)
        }
    }

    @Test("entries expire with the last token they cover, and are never shortened", arguments: Adapters.denylists)
    func expiry(adapter: Adapter<any TokenDenylist>) async throws {
        try await adapter.run { denylist in
            let brief = SessionID(UUID())
            let long = SessionID(UUID())
            try await denylist.revoke(session: brief, until: Date().addingTimeInterval(3))
            try await denylist.revoke(session: long, until: Date().addingTimeInterval(600))
            try await denylist.revoke(session: long, until: Date().addingTimeInterval(1))
            #expect(try await denylist.isRevoked(tokenID: UUID(), session: brief))
            try await Task.sleep(for: .milliseconds(3300))
            #expect(try await denylist.isRevoked(tokenID: UUID(), session: brief) == false)
            #expect(try await denylist.isRevoked(tokenID: UUID(), session: long))
        }
    }
}

@Suite("Contract: AccessGate")
struct AccessGateContract {
    let policy = RateLimitPolicy(name: "api", limit: 2, windowSeconds: 60)

    @Test("a listed token or session is revoked and not counted; others are counted", arguments: Adapters.gates)
    func revocationAndCounts(adapter: Adapter<GateUnderTest>) async throws {
        let policy = self.policy
        try await adapter.run { subject in
            let session = SessionID(UUID())
            let token = UUID()
            let limits = [RateLimitCheck(policy: policy, key: "user-\(UUID())")]
            let now = Date()
            let first = try await subject.gate.check(tokenID: token, session: session, limits: limits, now: now)
            #expect(first.revoked == false)
            #expect(first.decisions.map(\.remaining) == [1])
            try await subject.denylist.revoke(session: session, until: now.addingTimeInterval(600))
            let refused = try await subject.gate.check(tokenID: UUID(), session: session, limits: limits, now: now)
            #expect(refused.revoked == true && refused.decisions.isEmpty)
            try await subject.denylist.revoke(tokenID: token, until: now.addingTimeInterval(600))
            #expect(
                try await subject.gate.check(tokenID: token, session: SessionID(UUID()), limits: limits, now: now).revoked == true
            )
            // The revoked attempts were not counted: one request is still left.
            let second = try await subject.gate.check(tokenID: UUID(), session: SessionID(UUID()), limits: limits, now: now)
            #expect(second.decisions.map(\.allowed) == [true] && second.decisions.map(\.remaining) == [0])
            let third = try await subject.gate.check(tokenID: UUID(), session: SessionID(UUID()), limits: limits, now: now)
            #expect(third.decisions.map(\.allowed) == [false] && third.decisions.first?.retryAfterSeconds == 30)
        }
    }

    @Test("several limits are counted independently, each with its own decision", arguments: Adapters.gates)
    func severalLimits(adapter: Adapter<GateUnderTest>) async throws {
        let policy = self.policy
        try await adapter.run { subject in
            let create = RateLimitPolicy(name: "jobs_create", limit: 1, windowSeconds: 60)
            let user = "user-\(UUID())"
            let limits = [RateLimitCheck(policy: policy, key: user), RateLimitCheck(policy: create, key: user)]
            let now = Date()
            let first = try await subject.gate.check(tokenID: UUID(), session: SessionID(UUID()), limits: limits, now: now)
            #expect(first.decisions.map(\.allowed) == [true, true])
            let second = try await subject.gate.check(tokenID: UUID(), session: SessionID(UUID()), limits: limits, now: now)
            #expect(second.decisions.map(\.allowed) == [true, false])
            #expect(second.decisions.map(\.remaining) == [0, 0])
            let none = try await subject.gate.check(tokenID: UUID(), session: SessionID(UUID()), limits: [], now: now)
            #expect(none.revoked == false && none.decisions.isEmpty)
        }
    }
}
