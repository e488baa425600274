public import Domain
public import Foundation
import Logging
public import Ports

/// Revoked sessions and token ids as Redis keys that expire with the last token they
/// cover. A failed write is recorded in `health`, so the gate stops trusting the list
/// until the session store has refilled it.
public struct RedisTokenDenylist: TokenDenylist {
    let client: RedisClient
    let keys: RedisKeys
    let health: RedisDenylistHealth
    let clock: any Clock

    public init(client: RedisClient, prefix: String, health: RedisDenylistHealth, clock: any Clock) {
        self.client = client
        keys = RedisKeys(prefix: prefix)
        self.health = health
        self.clock = clock
    }

    public func revoke(session: SessionID, until: Date) async throws {
        try await write(keys.revokedSession(session.description), until: until)
    }

    public func revoke(tokenID: UUID, until: Date) async throws {
        try await write(keys.revokedToken(tokenID.uuidString.lowercased()), until: until)
    }

    public func isRevoked(tokenID: UUID, session: SessionID) async throws -> Bool {
        do {
            let reply = try await client.send("EXISTS", keys.revokedToken(tokenID.uuidString.lowercased()),
                                              keys.revokedSession(session.description))
            guard let count = reply.integer else { throw PortError.unavailable }
            return count > 0
        } catch {
            throw PortError.unavailable
        }
    }

    private func write(_ key: String, until: Date) async throws {
        let ttlMillis = Int64((until.timeIntervalSince(clock.now()) * 1000).rounded(.up))
        guard ttlMillis > 0 else { return }
        do {
            _ = try await client.evaluate(RedisScripts.revoke, keys: [key], arguments: [String(ttlMillis)])
        } catch {
            health.recordMissedWrite()
            throw PortError.unavailable
        }
    }
}
