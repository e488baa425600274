import Synchronization

/// The uids of the configured range, lent one per run: no two running jobs share a
/// uid, so none can signal, trace or read another's processes and files, and
/// RLIMIT_NPROC (counted per uid) is per run. Lent in turn (the one given back longest
/// ago first), so that a uid comes back to a new run as late as the range allows.
final class JobUserPool: Sendable {
    private struct State {
        var free: [UInt32]
        var next = 0  // index of the oldest free uid; the array is compacted now and then
    }

    private let state: Mutex<State>

    init(range: ClosedRange<UInt32>) {
        state = Mutex(State(free: Array(range)))
    }

    func take() -> UInt32? {
        state.withLock { state in
            guard state.next < state.free.count else { return nil }
            let uid = state.free[state.next]
            state.next += 1
            if state.next > 4096 && state.next * 2 > state.free.count {
                state.free.removeFirst(state.next)
                state.next = 0
            }
            return uid
        }
    }

    func give(_ uid: UInt32) { state.withLock { $0.free.append(uid) } }
}
