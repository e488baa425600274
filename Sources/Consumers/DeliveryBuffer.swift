import Ports

/// Gathers deliveries so the results processor can apply them in batches: `take`
/// waits for the first, lingers for more when asked to, and returns up to `max`.
actor DeliveryBuffer<Message: Sendable> {
    private var items: [Delivery<Message>] = []
    private var finished = false
    private var waiter: CheckedContinuation<Void, Never>?

    func push(_ delivery: Delivery<Message>) {
        items.append(delivery)
        waiter?.resume()
        waiter = nil
    }

    func finish() {
        finished = true
        waiter?.resume()
        waiter = nil
    }

    /// nil once the source finished and everything was taken.
    func take(max: Int, linger: Duration) async -> [Delivery<Message>]? {
        if items.isEmpty && !finished {
            await withCheckedContinuation { waiter = $0 }
        }
        if items.isEmpty { return finished ? nil : [] }
        if items.count < max && !finished && linger > .zero { try? await Task.sleep(for: linger) }
        let batch = Array(items.prefix(max))
        items.removeFirst(batch.count)
        return batch
    }
}
