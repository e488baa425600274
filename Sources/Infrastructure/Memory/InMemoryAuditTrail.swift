public import Domain
public import Foundation
public import Ports
import Synchronization

/// The audit trail in memory, chained like the real one. The in-memory stores hold one
/// and call `write` inside their own lock, so an entry and its change land together.
public final class InMemoryAuditTrail: AuditTrail {
    private struct State {
        var entries: [AuditEntry] = []
        var anchor: (sequence: Int64, hash: [UInt8]) = (0, AuditChain.genesis)
        var head: (sequence: Int64, hash: [UInt8]) = (0, AuditChain.genesis)
    }

    private let state = Mutex(State())

    public init() {}

    /// Appends at once (no suspension): what the other in-memory stores call under their lock.
    public func write(_ records: [AuditRecord]) {
        state.withLock { state in
            for record in records {
                let sequence = state.head.sequence + 1
                let hash = AuditChain.hash(previous: state.head.hash, sequence: sequence, record: record)
                state.entries.append(AuditEntry(sequence: sequence, record: record, hash: hash))
                state.head = (sequence, hash)
            }
        }
    }

    public func append(_ record: AuditRecord) async throws { write([record]) }

    public func entries(_ query: AuditQuery) async throws -> [AuditEntry] {
        let since = query.since.map(AuditRecord.micros)
        let until = query.until.map(AuditRecord.micros)
        return state.withLock { state in
            var found: [AuditEntry] = []
            for entry in state.entries.reversed() {
                if found.count >= query.limit { break }
                let record = entry.record
                if let before = query.before, entry.sequence >= before { continue }
                if let involving = query.involving, record.actorID != involving, record.accountID != involving { continue }
                if let actor = query.actor, record.actorID != actor { continue }
                if let action = query.action, record.action != action { continue }
                if let since, record.occurredAtMicros < since { continue }
                if let until, record.occurredAtMicros >= until { continue }
                found.append(entry)
            }
            return found
        }
    }

    public func chain(after sequence: Int64, limit: Int) async throws -> [AuditEntry] {
        state.withLock { state in Array(state.entries.lazy.filter { $0.sequence > sequence }.prefix(limit)) }
    }

    public func ends() async throws -> AuditChainEnds {
        state.withLock { state in
            AuditChainEnds(
                anchorSequence: state.anchor.sequence, anchorHash: state.anchor.hash,
                headSequence: state.head.sequence, headHash: state.head.hash)
        }
    }

    public func purge(before cutoff: Date) async throws -> Int {
        let cutoff = AuditRecord.micros(cutoff)
        return state.withLock { state in
            guard let last = state.entries.lastIndex(where: { $0.record.occurredAtMicros < cutoff }) else { return 0 }
            let removed = state.entries[last]
            state.anchor = (removed.sequence, removed.hash)
            state.entries.removeFirst(last + 1)
            return last + 1
        }
    }

    /// Tests only: removes one entry behind the chain's back, as a tamperer with database
    /// access would, so that verification can be shown to notice.
    public func tamperRemove(sequence: Int64) {
        state.withLock { state in state.entries.removeAll { $0.sequence == sequence } }
    }
}
