import Domain
import Foundation
import Ports
import Testing

@Suite("Contract: StopSignal")
struct StopSignalContract {
    @Test("a marked job reads as marked; others do not; markers expire", arguments: Adapters.stopSignals)
    func markers(adapter: Adapter<any StopSignal>) async throws {
        try await adapter.run { signal in
            let job = JobID(UUID())
            let brief = JobID(UUID())
            #expect(try await signal.isMarked(job) == false)
            try await signal.mark(job, ttlSeconds: 60)
            // The brief marker lives between `sent` and `marked` plus one second: it is
            // checked as present only when the answer came back before it could have
            // expired (a loaded machine can take that long), and as gone a second and
            // more after `marked`.
            let sent = ContinuousClock.now
            try await signal.mark(brief, ttlSeconds: 1)
            let marked = ContinuousClock.now
            #expect(try await signal.isMarked(job))
            let briefNow = try await signal.isMarked(brief)
            if ContinuousClock.now - sent < .milliseconds(800) { #expect(briefNow) }
            #expect(try await signal.isMarked(JobID(UUID())) == false)
            try await Task.sleep(until: marked + .milliseconds(1300))
            #expect(try await signal.isMarked(brief) == false)
            #expect(try await signal.isMarked(job))
        }
    }
}

@Suite("Contract: DistributedLock")
struct DistributedLockContract {
    @Test("one owner at a time; only the owner renews or releases", arguments: Adapters.locks)
    func lease(adapter: Adapter<any DistributedLock>) async throws {
        try await adapter.run { lock in
            let name = "scheduler-\(UUID())"
            #expect(try await lock.acquire(name, owner: "a", ttlSeconds: 30))
            #expect(try await lock.acquire(name, owner: "b", ttlSeconds: 30) == false)
            #expect(try await lock.renew(name, owner: "b", ttlSeconds: 30) == false)
            #expect(try await lock.renew(name, owner: "a", ttlSeconds: 30))
            try await lock.release(name, owner: "b")
            #expect(try await lock.acquire(name, owner: "b", ttlSeconds: 30) == false)
            try await lock.release(name, owner: "a")
            #expect(try await lock.acquire(name, owner: "b", ttlSeconds: 30))
            #expect(try await lock.renew(name, owner: "a", ttlSeconds: 30) == false)
        }
    }

    @Test("many contenders at once: exactly one wins", arguments: Adapters.locks)
    func race(adapter: Adapter<any DistributedLock>) async throws {
        try await adapter.run { lock in
            let name = "race-\(UUID())"
            let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<10 { group.addTask { try await lock.acquire(name, owner: "o\(index)", ttlSeconds: 30) } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(winners == 1)
        }
    }

    @Test(
        "a lease that is not renewed expires: the other contender takes it, the old owner cannot renew", arguments: Adapters.locks
    )
    func expiry(adapter: Adapter<any DistributedLock>) async throws {
        try await adapter.run { lock in
            let name = "expiry-\(UUID())"
            // The lease starts somewhere between `sent` and `granted` (a loaded CI machine
            // took over a second for one round trip), so the refusal is checked only when
            // it came back before `sent + 3 s`, and the wait for expiry counts from
            // `granted`, after which the lease has certainly begun.
            let sent = ContinuousClock.now
            #expect(try await lock.acquire(name, owner: "a", ttlSeconds: 3))
            let granted = ContinuousClock.now
            let taken = try await lock.acquire(name, owner: "b", ttlSeconds: 3)
            if ContinuousClock.now - sent < .milliseconds(2500) { #expect(taken == false) }
            try await Task.sleep(until: granted + .milliseconds(3400))
            #expect(try await lock.acquire(name, owner: "b", ttlSeconds: 30))
            #expect(try await lock.renew(name, owner: "a", ttlSeconds: 30) == false)
            try await lock.release(name, owner: "a")
            #expect(try await lock.acquire(name, owner: "a", ttlSeconds: 30) == false)
        }
    }
}
