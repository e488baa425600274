import Domain
import Foundation
import Infrastructure
import Ports
import Synchronization
import Testing

@Suite("Contract: MailQueue (and the account changes mail depends on)")
struct MailQueueContract {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func draft(_ kind: MailKind = .welcome, account: UserID = UserID(UUID()), sequence: Int64?, at date: Date = t0)
        -> MailDraft
    {
        MailDraft(
            id: UUID(), kind: kind, accountID: account, auditSequence: sequence, details: ["address": "203.0.113.9"],
            createdAt: date, notAfter: date.addingTimeInterval(1800))
    }

    @Test(
        "planning starts after the chain's head, stores drafts with the position, queues an entry once",
        arguments: Adapters.mailStores)
    func planning(adapter: Adapter<MailStores>) async throws {
        try await adapter.run { stores in
            let queue = stores.queue
            let seen = Mutex<[Int64]>([])
            let count = try await queue.plan { after in
                seen.withLock { $0.append(after) }
                return ([Self.draft(sequence: after + 1), Self.draft(.passwordReset, sequence: after + 2)], after + 2)
            }
            #expect(count == 2)
            // The same entries again (a planner that read an old position) queue nothing twice.
            _ = try await queue.plan { after in
                seen.withLock { $0.append(after) }
                return ([Self.draft(sequence: 1), Self.draft(.passwordReset, sequence: 2)], after)
            }
            // A step that fails stores nothing and leaves the position.
            await #expect(throws: PortError.self) {
                _ = try await queue.plan { (_: Int64) async throws -> (drafts: [MailDraft], through: Int64) in
                    throw PortError.rejected
                }
            }
            _ = try await queue.plan { after in
                seen.withLock { $0.append(after) }
                return ([], after)
            }
            #expect(seen.withLock { $0 } == [0, 2, 2])
            let claimed = try await queue.claim(now: Self.t0, limit: 10, leaseSeconds: 60)
            #expect(claimed.map(\.draft.auditSequence).sorted { ($0 ?? 0) < ($1 ?? 0) } == [1, 2])
            #expect(claimed.first?.draft.details == ["address": "203.0.113.9"] && claimed.allSatisfy { $0.attempts == 0 })
        }
    }

    @Test("two planners at once plan each entry once", arguments: Adapters.mailStores)
    func concurrentPlanning(adapter: Adapter<MailStores>) async throws {
        try await adapter.run { stores in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await stores.queue.plan { after in
                            try await Task.sleep(for: .milliseconds(20))
                            return ([Self.draft(sequence: after + 1)], after + 1)
                        }
                    }
                }
                for try await _ in group {}
            }
            let claimed = try await stores.queue.claim(now: Self.t0, limit: 10, leaseSeconds: 60)
            let sequences = claimed.compactMap(\.draft.auditSequence).sorted()
            #expect(!sequences.isEmpty && sequences == Array(1...Int64(sequences.count)))
        }
    }

    @Test(
        "claims hide mail for the lease; retries come back when due; dead and sent mail does not", arguments: Adapters.mailStores)
    func leases(adapter: Adapter<MailStores>) async throws {
        try await adapter.run { stores in
            let queue = stores.queue
            let (a, b, c) = (Self.draft(sequence: 1), Self.draft(sequence: 2), Self.draft(sequence: 3))
            _ = try await queue.plan { _ in ([a, b, c], 3) }
            #expect(try await queue.claim(now: Self.t0.addingTimeInterval(-1), limit: 10, leaseSeconds: 60).isEmpty)
            let first = try await queue.claim(now: Self.t0, limit: 2, leaseSeconds: 60)
            #expect(first.count == 2)
            let rest = try await queue.claim(now: Self.t0, limit: 10, leaseSeconds: 60)
            #expect(rest.count == 1 && !first.map(\.draft.id).contains(rest[0].draft.id))
            try await queue.finish(first[0].draft.id, .sent, at: Self.t0)
            try await queue.finish(first[1].draft.id, .retry(at: Self.t0.addingTimeInterval(30), error: "451 later"), at: Self.t0)
            try await queue.finish(rest[0].draft.id, .dead(error: "550 no such mailbox"), at: Self.t0)
            #expect(try await queue.claim(now: Self.t0.addingTimeInterval(29), limit: 10, leaseSeconds: 60).isEmpty)
            let again = try await queue.claim(now: Self.t0.addingTimeInterval(30), limit: 10, leaseSeconds: 60)
            #expect(again.map(\.draft.id) == [first[1].draft.id] && again.first?.attempts == 1)
            // Past the lease, a claimed mail nobody finished comes back (its sender died).
            let lost = try await queue.claim(now: Self.t0.addingTimeInterval(91), limit: 10, leaseSeconds: 60)
            #expect(lost.map(\.draft.id) == [first[1].draft.id])
            let backlog = try await queue.backlog(now: Self.t0.addingTimeInterval(100))
            #expect(backlog.pending == 1 && backlog.dead == 1 && backlog.oldestPendingAgeSeconds == 100)
            #expect(try await queue.purgeFinished(before: Self.t0.addingTimeInterval(1)) == 2)
            #expect(try await queue.backlog(now: Self.t0).dead == 0)
        }
    }

    @Test("a job change queues its mail with it; a change that fails queues none", arguments: Adapters.mailStores)
    func jobChangeMail(adapter: Adapter<MailStores>) async throws {
        try await adapter.run { stores in
            let owner = UserID(UUID())
            let job = JobFixtures.job(owner: owner)
            _ = try await stores.jobs.create(job, dispatch: nil, unfinishedLimit: 10)
            await #expect(throws: PortError.self) {
                try await stores.jobs.update([job.id]) { changes in
                    changes.mail.append(
                        MailDraft(id: UUID(), kind: .jobFinished, accountID: owner, jobID: job.id, createdAt: Self.t0))
                    throw PortError.rejected
                }
            }
            #expect(try await stores.queue.claim(now: Self.t0, limit: 10, leaseSeconds: 60).isEmpty)
            try await stores.jobs.update([job.id]) { changes in
                changes.mail.append(
                    MailDraft(id: job.id.uuid, kind: .jobFinished, accountID: owner, jobID: job.id, createdAt: Self.t0))
            }
            let claimed = try await stores.queue.claim(now: Self.t0, limit: 10, leaseSeconds: 60)
            #expect(claimed.map(\.draft.jobID) == [job.id] && claimed.first?.draft.kind == .jobFinished)
        }
    }

    @Test(
        "a reset swaps the hash only if it is still the one the link was made for; a confirmation happens once",
        arguments: Adapters.mailStores)
    func accountChanges(adapter: Adapter<MailStores>) async throws {
        try await adapter.run { stores in
            let user = User(
                id: UserID(UUID()), email: try Email("mail@example.com"), username: nil, role: .user,
                passwordHash: PasswordHash("$2b$04$old"), createdAt: Self.t0, updatedAt: Self.t0)
            _ = try await stores.users.insert(user, promoteIfNoAdmin: false) { .registration(of: $0, context: .none) }
            let record = AuditRecord(at: Self.t0, action: .passwordReset, actor: user.id, account: user.id, context: .none)
            #expect(
                try await stores.users.resetPassword(
                    to: PasswordHash("$2b$04$new"), for: user.id, ifStill: PasswordHash("$2b$04$old"), at: Self.t0, audit: record)
            )
            #expect(
                !(try await stores.users.resetPassword(
                    to: PasswordHash("$2b$04$third"), for: user.id, ifStill: PasswordHash("$2b$04$old"), at: Self.t0,
                    audit: record)))
            let stored = try #require(try await stores.users.user(id: user.id))
            #expect(stored.passwordHash == PasswordHash("$2b$04$new") && stored.emailVerifiedAt == Self.t0)
            let entries = try await stores.trail.chain(after: 0, limit: 10)
            #expect(entries.map(\.record.action) == [.registered, .passwordReset])

            let other = User(
                id: UserID(UUID()), email: try Email("other@example.com"), username: nil, role: .user,
                passwordHash: PasswordHash("$2b$04$x"), createdAt: Self.t0, updatedAt: Self.t0)
            _ = try await stores.users.insert(other, promoteIfNoAdmin: false) { .registration(of: $0, context: .none) }
            let verified = AuditRecord(at: Self.t0, action: .emailVerified, actor: other.id, account: other.id, context: .none)
            #expect(try await stores.users.markEmailVerified(other.id, at: Self.t0, audit: verified))
            #expect(!(try await stores.users.markEmailVerified(other.id, at: Self.t0, audit: verified)))
            #expect(try await stores.users.user(id: other.id)?.emailVerifiedAt == Self.t0)
            #expect(try await stores.trail.chain(after: 0, limit: 10).filter { $0.record.action == .emailVerified }.count == 1)
        }
    }
}
