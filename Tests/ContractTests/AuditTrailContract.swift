import Domain
import Foundation
import Infrastructure
import Ports
import Testing

@Suite("Contract: AuditTrail")
struct AuditTrailContract {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000.123456)
    static let here = AuditContext(clientAddress: "203.0.113.7", requestID: "req-1")

    static func user(_ email: String, at date: Date = t0) -> User {
        User(
            id: UserID(UUID()), email: try! Email(email), username: nil, role: .user,
            passwordHash: PasswordHash("$2b$04$x"), createdAt: date, updatedAt: date)
    }

    static func record(_ action: AuditAction, account: UserID?, at date: Date = t0, details: [String: String] = [:])
        -> AuditRecord
    {
        AuditRecord(at: date, action: action, actor: account, account: account, context: here, details: details)
    }

    /// Every store's audited change, in one chain, in the order made.
    static func audited(_ stores: AuditStores) async throws -> (User, Session) {
        let ann = try await stores.users.insert(user("ann@example.com"), promoteIfNoAdmin: false) {
            .registration(of: $0, context: here)
        }
        let session = Session(
            id: SessionID(UUID()), userID: ann.id, createdAt: t0, expiresAt: t0.addingTimeInterval(3600))
        let token = RefreshTokenHash(UUID().uuidString)
        try await stores.sessions.create(session, token: token, audit: record(.loginSucceeded, account: ann.id))
        _ = try await stores.sessions.rotate(
            presented: token, next: RefreshTokenHash(UUID().uuidString), expiresAt: t0.addingTimeInterval(7200), now: t0,
            context: here)
        // The spent token again: the session is revoked as stolen, and that is recorded.
        _ = try await stores.sessions.rotate(
            presented: token, next: RefreshTokenHash(UUID().uuidString), expiresAt: t0.addingTimeInterval(7200), now: t0,
            context: here)
        try await stores.users.updatePasswordHash(
            PasswordHash("$2b$04$y"), for: ann.id, at: t0, audit: record(.passwordChanged, account: ann.id))
        try await stores.trail.append(
            record(.loginFailed, account: ann.id, details: ["reason": "wrong_password"]))
        _ = try await stores.users.setRole(.admin, forEmail: ann.email, at: t0) {
            .roleChange(from: $0, to: $1, by: nil, via: "test", context: .none)
        }
        let job = JobFixtures.job(owner: ann.id)
        _ = try await stores.jobs.create(job, dispatch: nil, unfinishedLimit: 10)
        try await stores.jobs.update([job.id]) { changes in
            changes.audit.append(
                AuditRecord(
                    at: t0, action: .jobStoppedByAdmin, actor: UserID(UUID()), account: ann.id, subject: "job:\(job.id)",
                    context: here))
        }
        return (ann, session)
    }

    @Test("changes and their entries form one chain, in order, that verifies", arguments: Adapters.auditStores)
    func oneChain(adapter: Adapter<AuditStores>) async throws {
        try await adapter.run { stores in
            let (ann, session) = try await Self.audited(stores)
            let entries = try await stores.trail.entries(AuditQuery(limit: 100))
            #expect(
                entries.map(\.record.action) == [
                    .jobStoppedByAdmin, .roleChanged, .loginFailed, .passwordChanged, .refreshTokenReused, .loginSucceeded,
                    .registered,
                ])
            #expect(entries.map(\.sequence) == Array((1...7).reversed()))
            let reuse = try #require(entries.first { $0.record.action == .refreshTokenReused })
            #expect(reuse.record.accountID == ann.id && reuse.record.subject == "session:\(session.id)")
            #expect(reuse.record.outcome == .failure && reuse.record.context == Self.here)
            let role = try #require(entries.first { $0.record.action == .roleChanged })
            #expect(role.record.details == ["from": "user", "to": "admin", "via": "test"])
            // Read back exactly as written, to the microsecond.
            #expect(
                entries.last?.record
                    == AuditRecord.registration(of: Self.user("ann@example.com"), context: Self.here).with(account: ann.id))
            guard case .intact(let count, let ends) = try await AuditChain.verify(stores.trail, pageSize: 3) else {
                Issue.record("the chain should verify")
                return
            }
            #expect(count == 7 && ends.headSequence == 7 && ends.headHash == entries.first?.hash)
        }
    }

    @Test("a change that fails writes no entry", arguments: Adapters.auditStores)
    func failedChange(adapter: Adapter<AuditStores>) async throws {
        try await adapter.run { stores in
            _ = try await stores.users.insert(Self.user("bob@example.com"), promoteIfNoAdmin: false) {
                .registration(of: $0, context: .none)
            }
            await #expect(throws: PortError.duplicate) {
                try await stores.users.insert(Self.user("bob@example.com"), promoteIfNoAdmin: false) {
                    .registration(of: $0, context: .none)
                }
            }
            await #expect(throws: PortError.notFound) {
                try await stores.users.updatePasswordHash(
                    PasswordHash("x"), for: UserID(UUID()), at: Self.t0, audit: Self.record(.passwordChanged, account: nil))
            }
            // Revoking a session that is not live changes nothing, so nothing is recorded.
            #expect(
                try await stores.sessions.revoke(
                    SessionID(UUID()), reason: .logout, at: Self.t0, audit: Self.record(.logout, account: nil)) == nil)
            #expect(try await stores.trail.entries(AuditQuery(limit: 10)).map(\.record.action) == [.registered])
        }
    }

    @Test("an entry removed behind the port's back is found, by its place", arguments: Adapters.auditStores)
    func tamperFound(adapter: Adapter<AuditStores>) async throws {
        try await adapter.run { stores in
            _ = try await Self.audited(stores)
            try await stores.tamper(3)
            #expect(
                try await AuditChain.verify(stores.trail)
                    == .broken(atSequence: 3, reason: "entries 3…3 are missing"))
            // The newest removed too: the chain no longer reaches its head.
            try await stores.tamper(7)
            guard case .broken(let at, _) = try await AuditChain.verify(stores.trail) else {
                Issue.record("expected a break")
                return
            }
            #expect(at == 3)
        }
    }

    @Test("filters and keyset pages, newest first", arguments: Adapters.auditStores)
    func queries(adapter: Adapter<AuditStores>) async throws {
        try await adapter.run { stores in
            let ann = UserID(UUID())
            let bob = UserID(UUID())
            for minute in 0..<6 {
                let at = Self.t0.addingTimeInterval(Double(minute) * 60)
                try await stores.trail.append(
                    Self.record(minute.isMultiple(of: 2) ? .loginFailed : .logout, account: ann, at: at))
            }
            // Bob acted on Ann's account: an entry that involves both.
            try await stores.trail.append(
                AuditRecord(
                    at: Self.t0.addingTimeInterval(600), action: .jobStoppedByAdmin, actor: bob, account: ann, context: .none))
            try await stores.trail.append(Self.record(.loginSucceeded, account: bob, at: Self.t0.addingTimeInterval(700)))

            let annsFirst = try await stores.trail.entries(AuditQuery(involving: ann, limit: 4))
            #expect(annsFirst.map(\.sequence) == [7, 6, 5, 4])
            let annsNext = try await stores.trail.entries(AuditQuery(involving: ann, before: 4, limit: 4))
            #expect(annsNext.map(\.sequence) == [3, 2, 1])
            #expect(try await stores.trail.entries(AuditQuery(involving: bob, limit: 10)).map(\.sequence) == [8, 7])
            #expect(try await stores.trail.entries(AuditQuery(actor: bob, limit: 10)).map(\.sequence) == [8, 7])
            #expect(
                try await stores.trail.entries(AuditQuery(action: .loginFailed, limit: 10)).map(\.sequence) == [5, 3, 1])
            let window = AuditQuery(
                since: Self.t0.addingTimeInterval(60), until: Self.t0.addingTimeInterval(180), limit: 10)
            #expect(try await stores.trail.entries(window).map(\.sequence) == [3, 2])
            // The ends of what the API parses (years 0000 and 9999) are answered, not refused by the store.
            let far = Date(timeIntervalSince1970: 253_402_300_799)
            let early = Date(timeIntervalSince1970: -62_167_219_200)
            #expect(try await stores.trail.entries(AuditQuery(since: far, limit: 10)).isEmpty)
            #expect(try await stores.trail.entries(AuditQuery(until: early, limit: 10)).isEmpty)
            #expect(try await stores.trail.entries(AuditQuery(since: early, until: far, limit: 10)).count == 8)
        }
    }

    @Test(
        "retention removes the oldest entries and moves the anchor; the chain still verifies and goes on",
        arguments: Adapters.auditStores)
    func retention(adapter: Adapter<AuditStores>) async throws {
        try await adapter.run { stores in
            for day in 0..<5 {
                try await stores.trail.append(
                    Self.record(.loginFailed, account: nil, at: Self.t0.addingTimeInterval(Double(day) * 86_400)))
            }
            #expect(try await stores.trail.purge(before: Self.t0.addingTimeInterval(2.5 * 86_400)) == 3)
            #expect(try await stores.trail.purge(before: Self.t0.addingTimeInterval(2.5 * 86_400)) == 0)
            let ends = try await stores.trail.ends()
            #expect(ends.anchorSequence == 3 && ends.headSequence == 5)
            try await stores.trail.append(Self.record(.logout, account: nil, at: Self.t0.addingTimeInterval(5 * 86_400)))
            #expect(try await AuditChain.verify(stores.trail) == .intact(entries: 3, head: try await stores.trail.ends()))
            // Everything gone: the anchor is the head, and that verifies too.
            #expect(try await stores.trail.purge(before: Self.t0.addingTimeInterval(30 * 86_400)) == 3)
            guard case .intact(0, _) = try await AuditChain.verify(stores.trail) else {
                Issue.record("an empty chain after retention should verify")
                return
            }
        }
    }

    @Test("concurrent appends chain one after another, never to the same predecessor", arguments: Adapters.auditStores)
    func concurrentAppends(adapter: Adapter<AuditStores>) async throws {
        try await adapter.run { stores in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<24 {
                    group.addTask {
                        try await stores.trail.append(
                            Self.record(.loginFailed, account: nil, details: ["n": String(index)]))
                    }
                }
                try await group.waitForAll()
            }
            guard case .intact(let count, _) = try await AuditChain.verify(stores.trail) else {
                Issue.record("the chain should verify")
                return
            }
            #expect(count == 24)
        }
    }

    @Test("what a client controls is cleaned and bounded, and still verifies", arguments: Adapters.auditStores)
    func hostileStrings(adapter: Adapter<AuditStores>) async throws {
        try await adapter.run { stores in
            let nasty = "a\u{0}b\u{1B}[31mc\r\nd" + String(repeating: "é", count: 400)
            let record = AuditRecord(
                at: Self.t0, action: .loginFailed, outcome: .failure, actor: nil, account: nil, subject: nasty,
                context: AuditContext(clientAddress: nasty, requestID: nasty),
                details: Dictionary(uniqueKeysWithValues: (0..<20).map { ("k\($0)\u{0}", nasty) }))
            try await stores.trail.append(record)
            let stored = try #require(try await stores.trail.entries(AuditQuery(limit: 1)).first)
            #expect(stored.record == record)
            #expect(stored.record.context.clientAddress?.hasPrefix("ab[31mcd") == true)
            #expect((stored.record.context.clientAddress?.utf8.count ?? 0) <= AuditContext.maxBytes)
            #expect(stored.record.details.count == AuditRecord.maxDetails)
            #expect(stored.record.details.values.allSatisfy { $0.utf8.count <= AuditRecord.maxDetailBytes })
            #expect(try await AuditChain.verify(stores.trail) == .intact(entries: 1, head: try await stores.trail.ends()))
        }
    }
}

extension AuditRecord {
    /// The same record for another account (registration's fixture gets a fresh id).
    func with(account: UserID) -> AuditRecord {
        AuditRecord(
            occurredAtMicros: occurredAtMicros, action: action, outcome: outcome, actor: account, account: account,
            subject: subject, context: context, details: details)
    }
}
