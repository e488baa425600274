public import Foundation
public import Ports

/// Worker heartbeats in Redis: a sorted set of worker ids by last beat, and each
/// worker's latest heartbeat in a key of its own that expires if it stops beating.
public struct RedisWorkerRegistry: WorkerRegistry {
    let client: RedisClient
    let keys: RedisKeys
    /// A heartbeat's key outlives its worker by this much; older entries are pruned.
    static let keepSeconds = 3_600

    public init(client: RedisClient, prefix: String) {
        self.client = client
        keys = RedisKeys(prefix: prefix)
    }

    public func beat(_ heartbeat: WorkerHeartbeat) async throws {
        let body = String(decoding: try JSONEncoder().encode(heartbeat), as: UTF8.self)
        let score = String(Int64(heartbeat.seenAt.timeIntervalSince1970 * 1000))
        let oldest = String(Int64((heartbeat.seenAt.timeIntervalSince1970 - Double(Self.keepSeconds)) * 1000))
        do {
            let replies = try await client.pipeline([
                ["SET", keys.worker(heartbeat.workerID), body, "EX", String(Self.keepSeconds)],
                ["ZADD", keys.workers, score, heartbeat.workerID],
                ["ZREMRANGEBYSCORE", keys.workers, "-inf", "(" + oldest],
            ])
            guard replies.allSatisfy(\.isNotError) else { throw PortError.unavailable }
        } catch {
            throw PortError.unavailable
        }
    }

    public func seen(since: Date) async throws -> [WorkerHeartbeat] {
        do {
            let from = String(Int64(since.timeIntervalSince1970 * 1000))
            guard let ids = try await client.send("ZREVRANGEBYSCORE", keys.workers, "+inf", from).elements?.compactMap(\.text)
            else {
                throw PortError.unavailable
            }
            guard !ids.isEmpty else { return [] }
            guard let bodies = try await client.pipeline([["MGET"] + ids.map(keys.worker)])[0].elements else {
                throw PortError.unavailable
            }
            let decoder = JSONDecoder()
            return bodies.compactMap { reply in
                guard case .bulk(let bytes) = reply else { return nil }
                return try? decoder.decode(WorkerHeartbeat.self, from: Data(bytes))
            }
        } catch {
            throw PortError.unavailable
        }
    }
}
