import Synchronization

/// Sends announcements in the background, in order, batched: whoever publishes returns
/// at once, so a commit's caller (an HTTP request, the results processor's next batch)
/// never waits on Redis for them. One drain runs at a time, taking everything pending
/// per round trip. Past `limit` pending items the oldest are dropped: announcements are
/// best effort, and live views re-read the store.
final class PublishQueue<Item: Sendable>: Sendable {
    private struct State {
        var pending: [Item] = []
        var draining = false
        var dropped = 0
    }

    private let state = Mutex(State())
    private let limit: Int
    private let send: @Sendable ([Item]) async -> Void
    private let onDrop: @Sendable (Int) -> Void

    init(
        limit: Int = 10_000, onDrop: @escaping @Sendable (Int) -> Void = { _ in },
        send: @escaping @Sendable ([Item]) async -> Void
    ) {
        self.limit = limit
        self.send = send
        self.onDrop = onDrop
    }

    func enqueue(_ items: [Item]) {
        guard !items.isEmpty else { return }
        let startDrain = state.withLock { state in
            state.pending.append(contentsOf: items)
            if state.pending.count > limit {
                let excess = state.pending.count - limit
                state.pending.removeFirst(excess)
                state.dropped += excess
            }
            if state.draining { return false }
            state.draining = true
            return true
        }
        if startDrain { Task { await self.drain() } }
    }

    private func drain() async {
        while true {
            let (batch, dropped) = state.withLock { state in
                let batch = state.pending
                let dropped = state.dropped
                state.pending = []
                state.dropped = 0
                if batch.isEmpty { state.draining = false }
                return (batch, dropped)
            }
            if dropped > 0 { onDrop(dropped) }
            if batch.isEmpty { return }
            await send(batch)
        }
    }
}
