import Synchronization

/// The uids of the configured range, lent one per run: no two running jobs share a
/// uid, so none can signal, trace or read another's processes and files, and
/// RLIMIT_NPROC (counted per uid) is per run.
final class JobUserPool: Sendable {
    private let free: Mutex<[UInt32]>

    init(range: ClosedRange<UInt32>) {
        free = Mutex(Array(range.reversed()))
    }

    func take() -> UInt32? { free.withLock { $0.popLast() } }

    func give(_ uid: UInt32) { free.withLock { $0.append(uid) } }
}
