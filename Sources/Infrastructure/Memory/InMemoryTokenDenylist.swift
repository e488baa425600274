public import Domain
public import Foundation
public import Ports
import Synchronization

/// Revoked sessions and token ids in memory, each forgotten once its tokens expired.
public final class InMemoryTokenDenylist: TokenDenylist {
    private let entries = Mutex<[String: Date]>([:])
    private let clock: any WallClock

    public init(clock: any WallClock = SystemClock()) { self.clock = clock }

    public func revoke(session: SessionID, until: Date) async throws { store("sid:\(session)", until) }
    public func revoke(tokenID: UUID, until: Date) async throws { store("jti:\(tokenID.uuidString.lowercased())", until) }

    public func isRevoked(tokenID: UUID, session: SessionID) async throws -> Bool {
        let now = clock.now()
        return entries.withLock { entries in
            [("jti:\(tokenID.uuidString.lowercased())"), "sid:\(session)"].contains { key in
                entries[key].map { $0 > now } ?? false
            }
        }
    }

    private func store(_ key: String, _ until: Date) {
        let now = clock.now()
        entries.withLock { entries in
            entries[key] = max(entries[key] ?? until, until)
            if entries.count > 100_000 { entries = entries.filter { $0.value > now } }
        }
    }
}
