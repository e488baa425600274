import ArgumentParser
import Domain
import Foundation
import Infrastructure
import Logging
import Ports

/// The Redis path of every authenticated request: the access gate (revocation look-up
/// of `jti` and `sid` plus the per-user count, one script, one round trip), next to a
/// bare `PING` through the same client (the floor: thread hop + loopback round trip)
/// and the in-process limiter (what the fallback costs).
struct RedisBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis", abstract: "Rate-limit checks per second and their latency.")

    @Option(help: "Redis URL.")
    var url = "redis://127.0.0.1:6379/0"

    @Option(help: "Sequential checks timed one by one, for the latency figures.")
    var sequential = 5000

    @Option(help: "Concurrent callers for the throughput figure.")
    var concurrency = 16

    @Option(help: "Seconds the throughput run lasts.")
    var seconds = 5.0

    func run() async throws {
        let redisURL = try RedisURL(url)
        let logger = Logger(label: "bench")
        let client = RedisClient(url: redisURL, logger: logger)
        let prefix = "bench:\(UUID().uuidString.prefix(8)):"
        let health = RedisDenylistHealth()
        health.refilled(health.refillDue().ticket)
        let gate = RedisRateLimiter(client: client, prefix: prefix, denylistHealth: health, logger: logger)
        // Generous enough that nothing is refused: the work is the same either way.
        let policy = RateLimitPolicy(name: "api", limit: 1_000_000_000, windowSeconds: 60)
        let memory = InMemoryRateLimiter()
        guard await client.ping() else { throw ValidationError("Redis does not answer at \(url)") }

        print("method: \(sequential) sequential calls timed one by one (after 500 warm-up calls),")
        print("        then \(concurrency) concurrent callers for \(seconds) s; client pool: 4 connections on 4 threads")
        let ping: @Sendable (Int) async throws -> Void = { _ in _ = try await client.send("PING") }
        let check: @Sendable (Int) async throws -> Void = { index in
            _ = try await gate.check(
                tokenID: UUID(), session: SessionID(UUID()),
                limits: [RateLimitCheck(policy: policy, key: "user-\(index % 1000)")], now: Date())
        }
        let local: @Sendable (Int) async throws -> Void = { index in
            _ = try await memory.check(policy, key: "user-\(index % 1000)", now: Date())
        }
        for (name, body) in [
            ("redis PING (floor)", ping), ("access gate (revocation + limit)", check), ("in-process limiter", local),
        ] {
            let latency = try await Self.latencies(sequential, body)
            let rate = try await Self.throughput(concurrency: concurrency, seconds: seconds, body)
            let label = name.padding(toLength: 34, withPad: " ", startingAt: 0)
            print(
                label
                    + String(
                        format: "p50 %7.1f µs  p99 %7.1f µs  max %8.1f µs  |  %9.0f calls/s with %d callers",
                        latency.p50, latency.p99, latency.max, rate, concurrency))
        }
        _ = try? await client.send(
            "EVAL", "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end return 0",
            "0", prefix + "*")
    }

    static func latencies(_ count: Int, _ body: @Sendable (Int) async throws -> Void) async throws -> (
        p50: Double, p99: Double, max: Double
    ) {
        for index in 0..<500 { try await body(index) }
        var samples: [Double] = []
        samples.reserveCapacity(count)
        let clock = ContinuousClock()
        for index in 0..<count {
            let elapsed = try await clock.measure { try await body(index) }
            samples.append(Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6)
        }
        samples.sort()
        return (samples[count / 2], samples[count * 99 / 100], samples[count - 1])
    }

    static func throughput(concurrency: Int, seconds: Double, _ body: @escaping @Sendable (Int) async throws -> Void) async throws
        -> Double
    {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        let start = ContinuousClock.now
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for caller in 0..<concurrency {
                group.addTask {
                    var done = 0
                    while ContinuousClock.now < deadline {
                        try await body(caller * 1_000_000 + done)
                        done += 1
                    }
                    return done
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - start
        return Double(total) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}
