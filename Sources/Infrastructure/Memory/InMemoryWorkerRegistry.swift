import Domain
public import Foundation
public import Ports
import Synchronization

/// Worker heartbeats within one process (the embedded mode's in-process workers).
public final class InMemoryWorkerRegistry: WorkerRegistry {
    private let beats = Mutex<[String: WorkerHeartbeat]>([:])

    public init() {}

    public func beat(_ heartbeat: WorkerHeartbeat) async throws {
        beats.withLock { $0[heartbeat.workerID] = heartbeat }
    }

    public func seen(since: Date) async throws -> [WorkerHeartbeat] {
        beats.withLock { Array($0.values) }.filter { $0.seenAt >= since }.sorted { $0.seenAt > $1.seenAt }
    }
}
