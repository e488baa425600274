public import Domain
import Foundation
public import Ports
import Synchronization

/// Job changes within one process: publishing hands them straight to whoever runs the
/// source (the process's hub).
public final class InMemoryJobChangeBus: JobChangePublisher, JobChangeSource {
    private let receivers = Mutex<[Int: @Sendable (JobChange) -> Void]>([:])
    private let nextID = Atomic<Int>(0)

    public init() {}

    public func publish(_ changes: [JobChange]) async {
        let targets = receivers.withLock { Array($0.values) }
        for change in changes { for deliver in targets { deliver(change) } }
    }

    public func run(
        subscribed: @escaping @Sendable () -> Void, wants: @escaping @Sendable (JobID, UserID) -> Bool,
        deliver: @escaping @Sendable (JobChange) -> Void
    ) async {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        receivers.withLock { $0[id] = { change in if wants(change.jobID, change.ownerID) { deliver(change) } } }
        subscribed()
        // Held until cancelled.
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3_600)) }
        _ = receivers.withLock { $0.removeValue(forKey: id) }
    }
}
