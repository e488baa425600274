public import Domain
import HummingbirdBcrypt
import NIOPosix
public import Ports
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// bcrypt through HummingbirdBcrypt, run on a small thread pool of its own: a hash at
/// cost 12 takes a quarter of a second of CPU, and must never run on an event loop or
/// the cooperative pool, or health checks would wait behind logins. Its threads also run
/// at a lower scheduling priority (nice 10), so that with one thread per core logins use
/// the idle CPU but give way to request handling at once.
public final class BcryptPasswordHasher: PasswordHasher {
    public let cost: Int
    private let pool: NIOThreadPool
    private let decoy = Mutex<PasswordHash?>(nil)
    /// Hashes running or waiting, and how many may: past it a request is refused at once
    /// (`PortError.busy`) instead of waiting behind a flood of other people's logins.
    private let admitted = Atomic<Int>(0)
    private let maxQueued: Int

    /// `threads` bounds how many hashes run at once; up to `maxQueued` more wait their turn.
    public init(cost: Int, threads: Int = 2, maxQueued: Int = 32) {
        precondition((4...31).contains(cost), "bcrypt cost out of range")
        self.cost = cost
        self.maxQueued = max(0, maxQueued)
        pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
        capacity = max(1, threads) + self.maxQueued
    }

    private let capacity: Int

    /// Runs `work` on the pool if there is room for it, or throws `PortError.busy`.
    private func admit<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
        let (taken, _) = admitted.wrappingAdd(1, ordering: .relaxed)
        defer { admitted.wrappingSubtract(1, ordering: .relaxed) }
        guard taken < capacity else { throw PortError.busy }
        return try await pool.runIfActive(work)
    }

    deinit { pool.shutdownGracefully { _ in } }

    public func hash(_ password: Password) async throws -> PasswordHash {
        let cost = UInt8(self.cost)
        let value = password.value
        return PasswordHash(
            try await admit {
                Self.yieldToRequests()
                return Bcrypt.hash(value, cost: cost)
            })
    }

    public func verify(_ password: String, against hash: PasswordHash) async throws -> Bool {
        // bcrypt stops at NUL and at 72 bytes: a longer or NUL-bearing password would
        // match a shorter one, so it never matches (after the same work).
        let acceptable = password.utf8.count <= 72 && !password.containsNUL
        let encoded = hash.encoded
        let matches = try await admit {
            Self.yieldToRequests()
            return Bcrypt.verify(password, hash: encoded)
        }
        return matches && acceptable
    }

    public func verifyDecoy(_ password: String) async throws {
        let decoyHash: PasswordHash
        if let existing = decoy.withLock({ $0 }) {
            decoyHash = existing
        } else {
            let made = try await hash(try Password("decoy-password-never-matches"))
            decoy.withLock { $0 = $0 ?? made }
            decoyHash = made
        }
        _ = try await verify(password, against: decoyHash)
    }

    /// Lowers the priority of the calling pool thread (Linux: nice is per thread).
    private static func yieldToRequests() {
        #if os(Linux)
            // `who` 0 is the calling thread itself on Linux, not the whole process.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        #endif
    }

    public func needsRehash(_ hash: PasswordHash) -> Bool {
        // "$2b$12$...": the cost is the third field.
        let fields = hash.encoded.split(separator: "$")
        guard fields.count >= 3, let stored = Int(fields[1]) else { return true }
        return stored != cost
    }
}
