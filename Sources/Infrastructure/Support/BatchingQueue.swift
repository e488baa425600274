import Synchronization

/// Gathers the calls that arrive while one batch is being written into the next batch:
/// under load, N concurrent creates cost one transaction (a handful of round trips and
/// one WAL flush) instead of N, and under no load a call waits for nobody.
///
/// One batch is in flight at a time. A batch that fails is retried item by item, so an
/// item that cannot be written (a unique key raced by another API instance, say) fails
/// its own call only. Items are never dropped: every submit is answered.
final class BatchingQueue<Item: Sendable, Outcome: Sendable>: Sendable {
    private typealias Waiter = CheckedContinuation<Outcome, any Error>
    private struct State {
        var pending: [(item: Item, waiter: Waiter)] = []
        var draining = false
    }

    private let state = Mutex(State())
    private let maxBatch: Int
    private let batch: @Sendable ([Item]) async throws -> [Outcome]
    private let single: @Sendable (Item) async throws -> Outcome

    /// `batch` must answer one outcome per item, in order.
    init(
        maxBatch: Int, batch: @escaping @Sendable ([Item]) async throws -> [Outcome],
        single: @escaping @Sendable (Item) async throws -> Outcome
    ) {
        precondition(maxBatch >= 1)
        self.maxBatch = maxBatch
        self.batch = batch
        self.single = single
    }

    func submit(_ item: Item) async throws -> Outcome {
        try await withCheckedThrowingContinuation { (waiter: Waiter) in
            let start = state.withLock { state in
                state.pending.append((item, waiter))
                if state.draining { return false }
                state.draining = true
                return true
            }
            if start { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let taken = state.withLock { state -> [(item: Item, waiter: Waiter)] in
                guard !state.pending.isEmpty else {
                    state.draining = false
                    return []
                }
                let count = min(maxBatch, state.pending.count)
                let taken = Array(state.pending.prefix(count))
                state.pending.removeFirst(count)
                return taken
            }
            if taken.isEmpty { return }
            if taken.count > 1, let outcomes = try? await batch(taken.map(\.item)), outcomes.count == taken.count {
                for (entry, outcome) in zip(taken, outcomes) { entry.waiter.resume(returning: outcome) }
                continue
            }
            for entry in taken {
                do { entry.waiter.resume(returning: try await single(entry.item)) } catch { entry.waiter.resume(throwing: error) }
            }
        }
    }
}
