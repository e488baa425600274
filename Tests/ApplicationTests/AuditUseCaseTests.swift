import Application
import Domain
import Foundation
import Infrastructure
import Ports
import Testing

@Suite("Use cases: the audit trail")
struct AuditUseCaseTests {
    static let here = AuditContext(clientAddress: "198.51.100.4", requestID: "r-42")

    static func actions(_ harness: Harness, involving user: UserID? = nil) async throws -> [String] {
        try await harness.audit.entries(AuditQuery(involving: user, limit: 100)).reversed().map(\.record.action.name)
    }

    @Test("registration, logins (and why one failed), a password change and logouts are recorded, with where they came from")
    func accountLifecycle() async throws {
        let harness = Harness()
        let issued = try await harness.register(
            email: "ann@example.com", password: "correct horse", username: nil, context: Self.here)
        let ann = issued.user.id
        await #expect(throws: UseCaseError.unauthenticated) {
            try await harness.login(email: "ann@example.com", password: "wrong horse", context: Self.here)
        }
        await #expect(throws: UseCaseError.unauthenticated) {
            try await harness.login(email: "nobody@example.com", password: "correct horse", context: Self.here)
        }
        let login = try await harness.login(email: "ann@example.com", password: "correct horse", context: Self.here)
        let claims = try await harness.authenticate(login.accessToken).claims
        await #expect(throws: UseCaseError.unauthenticated) {
            try await harness.changePassword(
                caller: claims, currentPassword: "not it at all", newPassword: "battery staple", context: Self.here)
        }
        try await harness.changePassword(
            caller: claims, currentPassword: "correct horse", newPassword: "battery staple", context: Self.here)
        try await harness.logout(caller: claims, refreshToken: nil, all: false, context: Self.here)

        #expect(
            try await Self.actions(harness, involving: ann) == [
                "account.registered", "login.failed", "login.succeeded", "account.password_changed",
                "account.password_changed", "session.logout",
            ])
        let entries = try await harness.audit.entries(AuditQuery(limit: 100))
        #expect(entries.allSatisfy { $0.record.context == Self.here })
        let failures = entries.filter { $0.record.action == .loginFailed }.map(\.record)
        #expect(failures.map { $0.details["reason"] } == ["unknown_account", "wrong_password"])
        #expect(failures.first?.details["email"] == "nobody@example.com" && failures.first?.accountID == nil)
        #expect(failures.last?.accountID == ann && failures.allSatisfy { $0.outcome == .failure })
        let passwordChanges = entries.filter { $0.record.action == .passwordChanged }.map(\.record.outcome)
        #expect(passwordChanges == [.success, .failure])
        // Never a password in an entry.
        #expect(!entries.contains { entry in entry.record.details.values.contains { $0.contains("horse") } })
        let login2 = try #require(entries.first { $0.record.action == .loginSucceeded })
        #expect(login2.record.subject == "session:\(claims.sessionID)")
    }

    @Test("a spent refresh token presented again is recorded with the session it revoked")
    func refreshReuse() async throws {
        let harness = Harness()
        let issued = try await harness.register(email: "bob@example.com", password: "correct horse", username: nil)
        _ = try await harness.refresh(refreshToken: issued.refreshToken, context: Self.here)
        await #expect(throws: UseCaseError.unauthenticated) {
            try await harness.refresh(refreshToken: issued.refreshToken, context: Self.here)
        }
        let reuse = try #require(
            try await harness.audit.entries(AuditQuery(action: .refreshTokenReused, limit: 5)).first?.record)
        let hash = try #require(harness.minter.hash(issued.refreshToken))
        let session = try #require(try await harness.sessions.session(token: hash))
        #expect(reuse.accountID == issued.user.id && reuse.subject == "session:\(session.id)")
        #expect(reuse.details["revoked_session"] == session.id.description && reuse.context == Self.here)
    }

    @Test("an admin stopping another user's job is recorded; an owner stopping their own is not")
    func adminStop() async throws {
        let harness = Harness()
        let (_, owner) = try await harness.signUp()
        let admin = try await harness.caller(role: .admin)
        let (mine, _) = try await harness.createJob(caller: owner, request: try JobRequest(command: "echo"), idempotencyKey: nil)
        let (theirs, _) = try await harness.createJob(
            caller: owner, request: try JobRequest(command: "echo"), idempotencyKey: nil)
        _ = try await harness.stopJob(caller: owner, id: mine.id, context: Self.here)
        _ = try await harness.stopJob(caller: admin, id: theirs.id, context: Self.here)
        let stops = try await harness.audit.entries(AuditQuery(action: .jobStoppedByAdmin, limit: 5)).map(\.record)
        #expect(stops.count == 1)
        #expect(stops.first?.actorID == admin.userID && stops.first?.accountID == owner.userID)
        #expect(stops.first?.subject == "job:\(theirs.id)" && stops.first?.details["effect"] == "cancelled")
        guard case .intact = try await AuditChain.verify(harness.audit) else {
            Issue.record("the chain should verify")
            return
        }
    }

    @Test("pages: a user sees only their own events; everyone's is for admins; bad cursors and filters are named")
    func listing() async throws {
        let harness = Harness()
        let (_, ann) = try await harness.signUp("ann@example.com")
        let (_, bob) = try await harness.signUp("bob@example.com")
        for _ in 0..<3 {
            _ = try? await harness.login(email: "ann@example.com", password: "wrong horse")
        }
        let list = ListAuditEntries(trail: harness.audit)
        let first = try await list(caller: ann, everyone: false, filters: .init(), limit: 2, cursor: nil)
        #expect(first.entries.count == 2 && first.nextCursor != nil)
        let rest = try await list(caller: ann, everyone: false, filters: .init(), limit: 10, cursor: first.nextCursor)
        let annsAll = first.entries + rest.entries
        #expect(annsAll.count == 4 && rest.nextCursor == nil)
        #expect(annsAll.allSatisfy { $0.record.accountID == ann.userID })
        #expect(annsAll.map(\.sequence) == annsAll.map(\.sequence).sorted(by: >))
        #expect(try await list(caller: bob, everyone: false, filters: .init(), limit: nil, cursor: nil).entries.count == 1)
        await #expect(throws: UseCaseError.forbidden("only admins may read the audit trail")) {
            try await list(caller: ann, everyone: true, filters: .init(), limit: nil, cursor: nil)
        }
        for cursor in ["0", "-1", "x", "99999999999999999999", "1e3", " 1"] {
            await #expect(throws: UseCaseError.self) {
                try await list(caller: ann, everyone: false, filters: .init(), limit: nil, cursor: cursor)
            }
        }
        await #expect(throws: UseCaseError.self) {
            try await list(caller: ann, everyone: false, filters: .init(action: "DROP TABLE"), limit: nil, cursor: nil)
        }
        await #expect(throws: UseCaseError.self) {
            try await list(caller: ann, everyone: false, filters: .init(), limit: 101, cursor: nil)
        }
        let failed = try await list(
            caller: ann, everyone: false, filters: .init(action: "login.failed"), limit: nil, cursor: nil)
        #expect(failed.entries.count == 3)
    }
}
