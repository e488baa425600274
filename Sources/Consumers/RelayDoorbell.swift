public import Ports
import Synchronization

/// Wakes the outbox relay when a commit wrote to the outbox, so that a job is published
/// within milliseconds instead of at the next poll. Rings coalesce: however many
/// commits happen while the relay works, it makes one more pass.
public final class RelayDoorbell: OutboxSignal {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    public func outboxChanged() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.rung = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns when the bell rings (or rang since the last wait), after `timeout`, or on cancellation.
    public func wait(timeout: Duration) async {
        if state.withLock({ state in
            defer { state.rung = false }
            return state.rung
        }) {
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let resumeNow = self.state.withLock { state -> Bool in
                            if state.rung || Task.isCancelled {
                                state.rung = false
                                return true
                            }
                            state.waiter = continuation
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                } onCancel: {
                    self.release()
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.release()
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Resumes a waiting relay without recording a ring.
    private func release() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }
}
