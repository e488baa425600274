public import Domain
import Foundation
public import Ports
import Synchronization

/// Stop markers in memory, each expiring after its TTL.
public final class InMemoryStopSignal: StopSignal {
    private let markers = Mutex<[JobID: Date]>([:])
    private let clock: any WallClock

    public init(clock: any WallClock = SystemClock()) { self.clock = clock }

    public func mark(_ job: JobID, ttlSeconds: Int) async throws {
        let until = clock.now().addingTimeInterval(Double(ttlSeconds))
        markers.withLock { $0[job] = until }
    }

    public func isMarked(_ job: JobID) async throws -> Bool {
        let now = clock.now()
        return markers.withLock { $0[job].map { $0 > now } ?? false }
    }
}
