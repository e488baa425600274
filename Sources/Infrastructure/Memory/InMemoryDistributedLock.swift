import Foundation
public import Ports
import Synchronization

/// Leases in memory: enough for one process (the embedded mode) and for tests.
public final class InMemoryDistributedLock: DistributedLock {
    private struct Lease {
        let owner: String
        let expiresAt: Date
    }

    private let leases = Mutex<[String: Lease]>([:])
    private let clock: any WallClock

    public init(clock: any WallClock = SystemClock()) { self.clock = clock }

    public func acquire(_ name: String, owner: String, ttlSeconds: Int) async throws -> Bool {
        let now = clock.now()
        return leases.withLock { leases in
            if let lease = leases[name], lease.expiresAt > now, lease.owner != owner { return false }
            leases[name] = Lease(owner: owner, expiresAt: now.addingTimeInterval(Double(ttlSeconds)))
            return true
        }
    }

    public func renew(_ name: String, owner: String, ttlSeconds: Int) async throws -> Bool {
        let now = clock.now()
        return leases.withLock { leases in
            guard let lease = leases[name], lease.owner == owner, lease.expiresAt > now else { return false }
            leases[name] = Lease(owner: owner, expiresAt: now.addingTimeInterval(Double(ttlSeconds)))
            return true
        }
    }

    public func release(_ name: String, owner: String) async throws {
        leases.withLock { leases in
            if leases[name]?.owner == owner { leases[name] = nil }
        }
    }
}
