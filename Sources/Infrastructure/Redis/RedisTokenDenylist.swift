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
    let clock: any WallClock

    public init(client: RedisClient, prefix: String, health: RedisDenylistHealth, clock: any WallClock) {
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
        let reply: RedisReply
        do {
            reply = try await client.evaluate(
                RedisScripts.isRevoked,
                keys: [
                    keys.revokedToken(tokenID.uuidString.lowercased()), keys.revokedSession(session.description),
                    keys.denylistComplete,
                ], arguments: [])
        } catch {
            throw PortError.unavailable
        }
        switch reply.integer ?? -2 {
        case 1: return true
        case 0 where health.trusted: return false
        case -1:
            health.recordMarkerLost()
            throw PortError.unavailable
        default: throw PortError.unavailable  // not trusted here, or an unexpected reply: the session store decides
        }
    }

    /// Refills the list with `refill` under the completeness marker: marks it "being
    /// refilled" (with a token, for a minute at most, so a refill that dies does not
    /// block the next), refills, then marks it complete only if the marker still holds
    /// the token. Returns the count, or nil when another process is refilling already and
    /// `takeOver` is false. Throws when a store fails or the list was emptied meanwhile.
    public func refill(_ refill: () async throws -> Int, takeOver: Bool) async throws -> Int? {
        let token = "filling:" + UUID().uuidString.lowercased()
        let marker = keys.denylistComplete
        let command = ["SET", marker, token, "PX", "60000"] + (takeOver ? [] : ["NX"])
        let begun: RedisReply
        do {
            begun = try await client.pipeline([command])[0]
        } catch {
            throw PortError.unavailable
        }
        if case .error = begun { throw PortError.unavailable }
        if begun == .null {
            // NX refused: the marker exists, complete or another refill under way.
            return nil
        }
        let count = try await refill()
        let completed: RedisReply
        do {
            completed = try await client.evaluate(RedisScripts.completeRefill, keys: [marker], arguments: [token])
        } catch {
            throw PortError.unavailable
        }
        guard completed.integer == 1 else { throw PortError.unavailable }
        return count
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
