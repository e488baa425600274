import Foundation
import Infrastructure
import Ports
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
    static let userRepositories: [Adapter<any UserRepository>] = [.memory { InMemoryUserRepository() }]
        + PostgresFixture.adapter { PostgresUserRepository(client: $0, logger: PostgresFixture.logger) }
    static let sessionStores: [Adapter<any SessionStore>] = [.memory { InMemorySessionStore() }]
        + PostgresFixture.adapter { PostgresSessionStore(client: $0, logger: PostgresFixture.logger) }
    static let jobStores: [Adapter<any JobRepository & Outbox>] = [.memory { InMemoryJobStore(outputLimitBytes: 64) }]
        + PostgresFixture.adapter { PostgresJobStore(client: $0, outputLimitBytes: 64, logger: PostgresFixture.logger) }
    static let denylists: [Adapter<any TokenDenylist>] = [.memory { InMemoryTokenDenylist() }]
    static let caches: [Adapter<any Cache>] = [.memory { InMemoryCache() }]
    static let rateLimiters: [Adapter<any RateLimiter>] = [.memory { InMemoryRateLimiter() }]
    static let stopSignals: [Adapter<any StopSignal>] = [.memory { InMemoryStopSignal() }]
    static let locks: [Adapter<any DistributedLock>] = [.memory { InMemoryDistributedLock() }]
    static let queues: [Adapter<any JobQueueUnderTest>] = [.memory { InMemoryJobQueue() }]
}

/// The broker's ports, tested together because they share one broker.
typealias JobQueueUnderTest = OutboxPublisher & JobEventPublisher & JobDispatchSource & JobEventSource & StopRequestSource
