import Application
import Domain
import Foundation
import Infrastructure
import Ports
import PostgresNIO
import Testing

/// One adapter of a port under test. `scope` builds a fresh, isolated instance for one
/// test (its own state; for a real server, its own schema or key prefix), runs the
/// test with it, and tears it down: real adapters need services running around them.
struct Adapter<Port: Sendable>: Sendable, CustomTestStringConvertible {
    let name: String
    let scope: @Sendable (@Sendable (Port) async throws -> Void) async throws -> Void

    var testDescription: String { name }

    func run(_ body: @escaping @Sendable (Port) async throws -> Void) async throws {
        try await scope(body)
    }

    static func memory(_ make: @escaping @Sendable () -> Port) -> Adapter {
        Adapter(name: "in-memory") { body in try await body(make()) }
    }
}

/// Every adapter of every port. Real adapters join these lists as they are built; the
/// suites themselves never change.
enum Adapters {
    static let userRepositories: [Adapter<any UserRepository>] =
        [.memory { InMemoryUserRepository() }]
        + PostgresFixture.adapter { PostgresUserRepository(client: $0, logger: PostgresFixture.logger) }
    static let sessionStores: [Adapter<any SessionStore>] =
        [.memory { InMemorySessionStore() }]
        + PostgresFixture.adapter { PostgresSessionStore(client: $0, logger: PostgresFixture.logger) }
    static let jobStores: [Adapter<any JobRepository & Outbox & JobStatistics>] =
        [.memory { InMemoryJobStore(outputLimitBytes: 64) }]
        + PostgresFixture.adapter { PostgresJobStore(client: $0, outputLimitBytes: 64, logger: PostgresFixture.logger) }
    static let denylists: [Adapter<any TokenDenylist>] =
        [.memory { InMemoryTokenDenylist() }]
        + RedisFixture.adapter { RedisFixture.gate($0, $1).denylist }
    static let caches: [Adapter<any Cache>] =
        [.memory { InMemoryCache() }]
        + RedisFixture.adapter { RedisCache(client: $0, prefix: $1, logger: RedisFixture.logger) }
    static let rateLimiters: [Adapter<any RateLimiter>] =
        [.memory { InMemoryRateLimiter() }]
        + RedisFixture.adapter {
            RedisRateLimiter(client: $0, prefix: $1, denylistHealth: RedisDenylistHealth(), logger: RedisFixture.logger)
        }
    static let gates: [Adapter<GateUnderTest>] =
        [
            .memory {
                let denylist = InMemoryTokenDenylist()
                return GateUnderTest(
                    gate: SequentialAccessGate(denylist: denylist, limiter: InMemoryRateLimiter()), denylist: denylist)
            }
        ] + RedisFixture.adapter { RedisFixture.gate($0, $1) }
    static let stopSignals: [Adapter<any StopSignal>] =
        [.memory { InMemoryStopSignal() }]
        + RedisFixture.adapter { RedisStopSignal(client: $0, prefix: $1) }
    static let locks: [Adapter<any DistributedLock>] =
        [.memory { InMemoryDistributedLock() }]
        + RedisFixture.adapter { RedisDistributedLock(client: $0, prefix: $1) }
    static let jobChangeFeeds: [Adapter<any JobChangeFeedUnderTest>] =
        [.memory { InMemoryJobChangeBus() }]
        + RedisFixture.adapter { RedisJobChangeFeed(client: $0, url: RedisFixture.url!, prefix: $1, logger: RedisFixture.logger) }
    static let workerRegistries: [Adapter<any WorkerRegistry>] =
        [.memory { InMemoryWorkerRegistry() }]
        + RedisFixture.adapter { RedisWorkerRegistry(client: $0, prefix: $1) }
    static let auditStores: [Adapter<AuditStores>] =
        [
            .memory {
                let trail = InMemoryAuditTrail()
                return AuditStores(
                    trail: trail, users: InMemoryUserRepository(audit: trail), sessions: InMemorySessionStore(audit: trail),
                    jobs: InMemoryJobStore(audit: trail), tamper: { trail.tamperRemove(sequence: $0) })
            }
        ]
        + PostgresFixture.adapter { client in
            AuditStores(
                trail: PostgresAuditTrail(client: client, logger: PostgresFixture.logger),
                users: PostgresUserRepository(client: client, logger: PostgresFixture.logger),
                sessions: PostgresSessionStore(client: client, logger: PostgresFixture.logger),
                jobs: PostgresJobStore(client: client, outputLimitBytes: 64, logger: PostgresFixture.logger),
                tamper: { sequence in
                    // What someone with the database's password could do behind the API's back.
                    _ = try await client.query(
                        "DELETE FROM audit_entries WHERE seq = \(sequence)", logger: PostgresFixture.logger)
                })
        }
    static let mailStores: [Adapter<MailStores>] =
        [
            .memory {
                let trail = InMemoryAuditTrail()
                let queue = InMemoryMailQueue()
                return MailStores(
                    queue: queue, users: InMemoryUserRepository(audit: trail), trail: trail,
                    jobs: InMemoryJobStore(audit: trail, mail: queue))
            }
        ]
        + PostgresFixture.adapter { client in
            let logger = PostgresFixture.logger
            return MailStores(
                queue: PostgresMailQueue(client: client, logger: logger),
                users: PostgresUserRepository(client: client, logger: logger),
                trail: PostgresAuditTrail(client: client, logger: logger),
                jobs: PostgresJobStore(client: client, outputLimitBytes: 64, logger: logger))
        }
    static let sealerKey = String(repeating: "k", count: 32)
    static let mfaStores: [Adapter<MFAStores>] =
        [
            .memory {
                let trail = InMemoryAuditTrail()
                return MFAStores(
                    store: InMemoryMFAStore(audit: trail), users: InMemoryUserRepository(audit: trail), trail: trail,
                    sealedSecret: { _ in nil }, rekeyed: { nil })
            }
        ]
        + PostgresFixture.adapter { client in
            let logger = PostgresFixture.logger
            return MFAStores(
                store: PostgresMFAStore(client: client, sealer: SecretSealer(secret: sealerKey), logger: logger),
                users: PostgresUserRepository(client: client, logger: logger),
                trail: PostgresAuditTrail(client: client, logger: logger),
                sealedSecret: { user in
                    try await client.query("SELECT secret_sealed FROM mfa_totp WHERE user_id = \(user.uuid)", logger: logger)
                        .decode(String.self).first { _ in true }
                },
                rekeyed: {
                    // The same database after a rotation: a new key, the old one listed as old.
                    PostgresMFAStore(
                        client: client,
                        sealer: SecretSealer(secret: String(repeating: "n", count: 32), old: [sealerKey]), logger: logger)
                })
        }
    static let queues: [Adapter<any JobQueueUnderTest>] = [.memory { InMemoryJobQueue() }] + RabbitMQFixture.adapter()
}

/// The audit trail and the stores that write into it with their changes: one chain.
struct AuditStores: Sendable {
    let trail: any AuditTrail
    let users: any UserRepository
    let sessions: any SessionStore
    let jobs: any JobRepository
    /// Removes one entry without going through the port.
    let tamper: @Sendable (Int64) async throws -> Void
}

/// The mail queue, with the stores that feed it (job changes) and that it reads.
struct MailStores: Sendable {
    let queue: any MailQueue
    let users: any UserRepository
    let trail: any AuditTrail
    let jobs: any JobRepository
}

/// The two-factor store, with the accounts it refers to and the trail it audits into.
struct MFAStores: Sendable {
    let store: any MFAStore
    let users: any UserRepository
    let trail: any AuditTrail
    /// The stored form of an account's secret (nil where nothing is at rest).
    let sealedSecret: @Sendable (UserID) async throws -> String?
    /// The store as it is after a key rotation (nil where nothing is sealed).
    let rekeyed: @Sendable () -> (any MFAStore)?
}

/// The broker's ports, tested together because they share one broker.
typealias JobQueueUnderTest = OutboxPublisher & JobEventPublisher & JobDispatchSource & JobEventSource & StopRequestSource
