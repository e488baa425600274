import Ports
import Synchronization

/// The settlements of one message's parts (a `job.reports` handed out report by report):
/// the broker knows the message, not its parts, so the message is settled once, when
/// the last part is. A part settled twice keeps its first settlement, as a delivery does.
final class PartSettlement<Message: Sendable>: Sendable {
    enum Outcome: Sendable {
        case ack
        /// Handed back; the part, to be published again.
        case requeue(Message)
        case reject(reason: String)
    }

    private struct State {
        var outcomes: [Outcome?]
        var remaining: Int
    }

    private let messages: [Message?]
    private let state: Mutex<State>
    private let whenSettled: @Sendable ([Outcome]) async -> Void

    init(
        parts: [Result<Message, some Error>], whenSettled: @escaping @Sendable ([Outcome]) async -> Void
    ) {
        messages = parts.map { try? $0.get() }
        state = Mutex(State(outcomes: Array(repeating: nil, count: parts.count), remaining: parts.count))
        self.whenSettled = whenSettled
    }

    func settle(_ index: Int, _ settlement: Delivery<Message>.Settlement) async {
        let outcome: Outcome
        switch settlement {
        case .ack: outcome = .ack
        case .reject(let reason): outcome = .reject(reason: reason)
        case .requeue:
            // A part that never decoded has no message and cannot be handed back.
            guard let message = messages[index] else { return await settle(index, .reject(reason: "undecodable")) }
            outcome = .requeue(message)
        }
        let complete = state.withLock { state -> [Outcome]? in
            guard state.outcomes.indices.contains(index), state.outcomes[index] == nil else { return nil }
            state.outcomes[index] = outcome
            state.remaining -= 1
            return state.remaining == 0 ? state.outcomes.compactMap { $0 } : nil
        }
        if let complete { await whenSettled(complete) }
    }
}
