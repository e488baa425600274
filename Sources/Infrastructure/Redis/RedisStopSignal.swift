public import Domain
public import Ports

/// Stop markers as expiring Redis keys.
public struct RedisStopSignal: StopSignal {
    let client: RedisClient
    let keys: RedisKeys

    public init(client: RedisClient, prefix: String) {
        self.client = client
        keys = RedisKeys(prefix: prefix)
    }

    public func mark(_ job: JobID, ttlSeconds: Int) async throws {
        do {
            let reply = try await client.send("SET", keys.stop(job.description), "1", "EX", String(max(1, ttlSeconds)))
            guard reply == .status("OK") else { throw PortError.unavailable }
        } catch {
            throw PortError.unavailable
        }
    }

    public func isMarked(_ job: JobID) async throws -> Bool {
        do {
            guard let count = try await client.send("EXISTS", keys.stop(job.description)).integer else {
                throw PortError.unavailable
            }
            return count > 0
        } catch {
            throw PortError.unavailable
        }
    }
}
