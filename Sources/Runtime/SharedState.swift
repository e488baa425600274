import Application
import Domain
import Foundation
public import Infrastructure
public import Logging
public import Ports
public import ServiceLifecycle

/// The adapters for what API instances and workers share: revocations, rate limits,
/// the cache, stop markers and the scheduler's lease. In memory for one process; in
/// Redis when `CLOUDTASK_REDIS_URL` is set.
public struct SharedState {
    public var denylist: any TokenDenylist
    public var rateLimiter: any RateLimiter
    public var accessGate: any AccessGate
    public var cache: any Cache
    public var stopSignal: any StopSignal
    public var lock: any DistributedLock
    /// Job changes, published by writers and received by each API process's hub.
    public var jobChangePublisher: any JobChangePublisher
    public var jobChangeSource: any JobChangeSource
    /// Worker heartbeats, for the admin overview.
    public var workers: any WorkerRegistry
    /// Whether Redis answers, for readiness; `nil` when there is no Redis.
    public var redisHealth: (@Sendable () async -> Bool)?
    /// The Redis client's lifecycle (it ends after the services that use it).
    public var clients: [any Service] = []
    /// Background work the adapters need (the denylist refill).
    public var background: [any Service] = []

    public static func inMemory(clock: any WallClock) -> SharedState {
        let denylist = InMemoryTokenDenylist(clock: clock)
        let limiter = InMemoryRateLimiter()
        let bus = InMemoryJobChangeBus()
        return SharedState(
            denylist: denylist, rateLimiter: limiter, accessGate: SequentialAccessGate(denylist: denylist, limiter: limiter),
            cache: MeteredCache(InMemoryCache(clock: clock)), stopSignal: InMemoryStopSignal(clock: clock),
            lock: InMemoryDistributedLock(clock: clock), jobChangePublisher: bus, jobChangeSource: bus,
            workers: InMemoryWorkerRegistry(), redisHealth: nil)
    }

    public static func redis(
        url: RedisURL, sessions: any SessionStore, accessTokenTTLSeconds: Int, clock: any WallClock,
        logger: Logger
    ) -> SharedState {
        let client = RedisClient(url: url, logger: logger)
        let prefix = "cloudtask:"
        let health = RedisDenylistHealth()
        let denylist = RedisTokenDenylist(client: client, prefix: prefix, health: health, clock: clock)
        let limiter = RedisRateLimiter(client: client, prefix: prefix, denylistHealth: health, logger: logger)
        let feed = RedisJobChangeFeed(client: client, url: url, prefix: prefix, logger: logger)
        let refill = RefillDenylist(
            sessions: sessions, denylist: denylist, clock: clock, accessTokenTTLSeconds: accessTokenTTLSeconds)
        return SharedState(
            denylist: denylist, rateLimiter: limiter, accessGate: limiter,
            cache: MeteredCache(RedisCache(client: client, prefix: prefix, logger: logger)),
            stopSignal: RedisStopSignal(client: client, prefix: prefix),
            lock: RedisDistributedLock(client: client, prefix: prefix), jobChangePublisher: feed, jobChangeSource: feed,
            workers: RedisWorkerRegistry(client: client, prefix: prefix), redisHealth: { await client.ping() },
            clients: [client],
            background: [DenylistRefillService(refill: refill, denylist: denylist, health: health, logger: logger)])
    }
}

/// Refills the Redis denylist from the session store whenever it may miss revocations:
/// after this process's writes failed while Redis was down, and whenever the list is
/// seen without its completeness marker (Redis came back empty; at start the marker has
/// not been looked at yet). Until then the gate asks the session store, so this only
/// restores the fast path. One process refills at a time, unless this one missed writes.
struct DenylistRefillService: Service {
    let refill: RefillDenylist
    let denylist: RedisTokenDenylist
    let health: RedisDenylistHealth
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let (due, ticket, takeOver) = health.refillDue()
            if due {
                do {
                    if let count = try await denylist.refill({ try await refill() }, takeOver: takeOver) {
                        health.refilled(ticket)
                        logger.info("denylist refilled from the session store", metadata: ["sessions": "\(count)"])
                    } else {
                        health.refillInOtherHands()
                    }
                } catch {
                    logger.debug("denylist refill deferred: a store is unavailable")
                }
            }
            try? await Task.sleep(for: .seconds(due ? 2 : 1))
        }
    }
}
