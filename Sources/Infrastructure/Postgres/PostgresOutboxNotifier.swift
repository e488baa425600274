public import Logging
public import Ports
public import PostgresNIO
import Synchronization

/// Wakes outbox relays in other processes: `NOTIFY cloudtask_outbox` after a commit
/// that wrote to the outbox (never inside the transaction: a NOTIFY there serialises
/// commits). Rings coalesce: while one NOTIFY is on its way, further rings make one
/// more. A lost ring costs latency only: relays also poll.
public final class PostgresOutboxNotifier: OutboxSignal {
    public static let channel = "cloudtask_outbox"
    private struct State {
        var sending = false
        var again = false
    }

    private let client: PostgresClient
    private let state = Mutex(State())
    private let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func outboxChanged() {
        let start = state.withLock { state in
            if state.sending {
                state.again = true
                return false
            }
            state.sending = true
            return true
        }
        guard start else { return }
        Task {
            repeat {
                _ = try? await client.query("NOTIFY \(unescaped: Self.channel)", logger: logger)
            } while state.withLock { state in
                defer { state.again = false }
                if !state.again { state.sending = false }
                return state.again
            }
        }
    }
}
