import Domain
public import Foundation
public import Ports
import Synchronization

/// The mail queue in memory, for the embedded mode and the fast tests. The in-memory job
/// store calls `enqueue` under its own lock, so a job notice lands with its change.
public final class InMemoryMailQueue: MailQueue {
    private struct Row {
        var draft: MailDraft
        var state = "pending"
        var attempts = 0
        var nextAttemptAt: Date
        var lastError: String?
        var finishedAt: Date?
    }

    private struct State {
        var rows: [UUID: Row] = [:]
        var order: [UUID] = []
        var position: Int64 = 0
        var planning = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Queues drafts at once (no suspension); a draft already queued (same id, or same
    /// kind and audit entry) is left as it is.
    public func enqueue(_ drafts: [MailDraft]) {
        state.withLock { state in Self.insert(drafts, into: &state) }
    }

    private static func insert(_ drafts: [MailDraft], into state: inout State) {
        for draft in drafts where state.rows[draft.id] == nil {
            if let sequence = draft.auditSequence,
                state.rows.values.contains(where: { $0.draft.auditSequence == sequence && $0.draft.kind == draft.kind })
            {
                continue
            }
            state.rows[draft.id] = Row(draft: draft, nextAttemptAt: draft.createdAt)
            state.order.append(draft.id)
        }
    }

    public func plan(_ step: @escaping @Sendable (Int64) async throws -> (drafts: [MailDraft], through: Int64)) async throws
        -> Int
    {
        // One planner at a time, as the row lock serialises them in PostgreSQL; a second
        // caller meanwhile plans nothing (the first covers it).
        let position: Int64? = state.withLock { state in
            guard !state.planning else { return nil }
            state.planning = true
            return state.position
        }
        guard let position else { return 0 }
        defer { state.withLock { $0.planning = false } }
        let (drafts, through) = try await step(position)
        return state.withLock { state in
            let before = state.rows.count
            Self.insert(drafts, into: &state)
            state.position = max(state.position, through)
            return state.rows.count - before
        }
    }

    public func claim(now: Date, limit: Int, leaseSeconds: Int) async throws -> [QueuedMail] {
        state.withLock { state in
            var claimed: [QueuedMail] = []
            for id in state.order where claimed.count < limit {
                guard var row = state.rows[id], row.state == "pending", row.nextAttemptAt <= now else { continue }
                claimed.append(QueuedMail(draft: row.draft, attempts: row.attempts))
                row.nextAttemptAt = now.addingTimeInterval(Double(leaseSeconds))
                state.rows[id] = row
            }
            return claimed
        }
    }

    public func finish(_ id: UUID, _ outcome: MailAttemptOutcome, at now: Date) async throws {
        state.withLock { state in
            guard var row = state.rows[id], row.state == "pending" else { return }
            row.attempts += 1
            switch outcome {
            case .sent:
                row.state = "sent"
                row.finishedAt = now
            case .retry(let at, let error):
                row.nextAttemptAt = at
                row.lastError = error
            case .dead(let error):
                row.state = "dead"
                row.lastError = error
                row.finishedAt = now
            case .dropped(let reason):
                row.state = "dropped"
                row.lastError = reason
                row.finishedAt = now
            }
            state.rows[id] = row
        }
    }

    public func backlog(now: Date) async throws -> MailBacklog {
        state.withLock { state in
            let pending = state.rows.values.filter { $0.state == "pending" }
            let oldest = pending.map(\.draft.createdAt).min()
            return MailBacklog(
                pending: pending.count, dead: state.rows.values.filter { $0.state == "dead" }.count,
                oldestPendingAgeSeconds: oldest.map { max(0, now.timeIntervalSince($0)) } ?? 0)
        }
    }

    public func purgeFinished(before cutoff: Date) async throws -> Int {
        state.withLock { state in
            let gone = state.rows.filter { $0.value.finishedAt.map { $0 < cutoff } ?? false }.map(\.key)
            for id in gone { state.rows[id] = nil }
            state.order.removeAll { state.rows[$0] == nil }
            return gone.count
        }
    }

    /// Every mail and its state, for tests.
    public func all() -> [(draft: MailDraft, state: String, attempts: Int, lastError: String?)] {
        state.withLock { state in
            state.order.compactMap { state.rows[$0] }.map { ($0.draft, $0.state, $0.attempts, $0.lastError) }
        }
    }
}
