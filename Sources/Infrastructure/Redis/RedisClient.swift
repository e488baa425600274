import Foundation
public import Logging
import NIOPosix
public import ServiceLifecycle
import Synchronization
import Telemetry
import Tracing

/// A small pool of blocking hiredis connections behind an async API.
///
/// Why threads and not a NIO channel: hiredis 0.14's blocking API is small, proven and
/// binary-safe, and a call costs one thread hop on top of the round trip (measured by
/// `cloudtask-bench redis`). Each call runs on a thread of this client's own
/// `NIOThreadPool` — never an event loop or the cooperative pool — with a connection
/// checked out for it alone. There are as many connections as threads, created lazily.
///
/// Failures: a broken connection is dropped, and so is every idle connection opened
/// before it (after a Redis restart they are all dead). The client then fails fast with
/// `.backingOff` until the next probe, 100 ms later, doubling to 5 s; the first call
/// that succeeds resets it. So an outage costs callers nothing but a fallback.
public final class RedisClient: Service {
    public struct Settings: Sendable {
        public var connections: Int
        public var connectTimeout: Duration
        public var commandTimeout: Duration
        /// The first wait after a failure; it doubles per failure, up to 5 s.
        public var initialBackoff: Duration

        public init(
            connections: Int = 4, connectTimeout: Duration = .milliseconds(500), commandTimeout: Duration = .seconds(1),
            initialBackoff: Duration = .milliseconds(100)
        ) {
            self.connections = connections
            self.connectTimeout = connectTimeout
            self.commandTimeout = commandTimeout
            self.initialBackoff = initialBackoff
        }
    }

    private struct State {
        var idle: [RedisConnection] = []
        var generation = 0
        var failures = 0
        var retryAt: ContinuousClock.Instant?
    }

    private let url: RedisURL
    private let settings: Settings
    private let threads: NIOThreadPool
    private let state = Mutex(State())
    private let logger: Logger

    public init(url: RedisURL, settings: Settings = Settings(), logger: Logger) {
        self.url = url
        self.settings = settings
        self.logger = logger
        threads = NIOThreadPool(numberOfThreads: max(1, settings.connections))
        threads.start()
    }

    // A client that never ran as a service still lets its threads go.
    deinit { threads.shutdownGracefully { _ in } }

    /// The client's lifecycle in a service group: it runs until the group shuts down
    /// (put it before the services that use it: a group stops services in reverse
    /// order), then ends its threads; later commands fail as `connection`.
    public func run() async throws {
        try? await gracefulShutdown()
        try? await threads.shutdownGracefully()
    }

    /// Sends the commands in one round trip and returns their replies (error replies
    /// included, in order). Throws when Redis cannot be reached.
    public func pipeline(_ commands: [[String]]) async throws(RedisError) -> [RedisReply] {
        guard Telemetry.isOn else { return try await untracedPipeline(commands) }
        // A span per round trip, inside traced work only (docs/tracing.md); named by the
        // command (ours, never a key or a value).
        let name = commands.count == 1 ? String(commands[0].first?.prefix(16) ?? "") : "pipeline"
        let result: Result<[RedisReply], RedisError> = await Telemetry.withChildSpan("Redis \(name)") { span in
            span?.attributes["db.system.name"] = "redis"
            if commands.count > 1 { span?.attributes["db.operation.batch.size"] = commands.count }
            do throws(RedisError) {
                return .success(try await untracedPipeline(commands))
            } catch {
                span?.setStatus(SpanStatus(code: .error, message: Telemetry.describe(error)))
                return .failure(error)
            }
        }
        return try result.get()
    }

    private func untracedPipeline(_ commands: [[String]]) async throws(RedisError) -> [RedisReply] {
        try checkBackoff()
        let result: Result<[RedisReply], RedisError>
        do {
            result = try await threads.runIfActive { [self] in Result { () throws(RedisError) in try onThread(commands) } }
        } catch {
            throw .connection("the client is shut down")
        }
        return try result.get()
    }

    /// One command.
    public func send(_ command: String...) async throws(RedisError) -> RedisReply {
        try await pipeline([command])[0]
    }

    /// Runs a Lua script by its SHA-1; if this server does not know it yet (first use,
    /// or after a restart), sends its source once, which also loads it.
    public func evaluate(_ script: RedisScript, keys: [String], arguments: [String]) async throws(RedisError) -> RedisReply {
        let tail = [String(keys.count)] + keys + arguments
        let reply = try await pipeline([["EVALSHA", script.sha1] + tail])[0]
        if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
            return try await pipeline([["EVAL", script.source] + tail])[0]
        }
        if case .error(let message) = reply { throw .reply(String(message.prefix(200))) }
        return reply
    }

    /// Several scripts in one round trip. A script the server does not know yet is sent
    /// again with its source (which loads it). Error replies are returned, not thrown.
    public func evaluate(_ calls: [(script: RedisScript, keys: [String], arguments: [String])]) async throws(RedisError)
        -> [RedisReply]
    {
        let tails = calls.map { [String($0.keys.count)] + $0.keys + $0.arguments }
        var replies = try await pipeline(zip(calls, tails).map { ["EVALSHA", $0.script.sha1] + $1 })
        for index in replies.indices {
            if case .error(let message) = replies[index], message.hasPrefix("NOSCRIPT") {
                replies[index] = try await pipeline([["EVAL", calls[index].script.source] + tails[index]])[0]
            }
        }
        return replies
    }

    /// Whether Redis answers `PING` now (bypassing the backoff).
    public func ping() async -> Bool {
        do {
            let result = try await threads.runIfActive { [self] in Result { () throws(RedisError) in try onThread([["PING"]]) } }
            return (try? result.get().first) == .status("PONG")
        } catch {
            return false
        }
    }

    private func checkBackoff() throws(RedisError) {
        let refuse = state.withLock { state in
            guard let retryAt = state.retryAt else { return false }
            return ContinuousClock.now < retryAt
        }
        if refuse { throw .backingOff }
    }

    /// Runs on a pool thread: check out a connection (or open one), use it, check it in.
    private func onThread(_ commands: [[String]]) throws(RedisError) -> [RedisReply] {
        let (checkedOut, generation) = state.withLock { state in (state.idle.popLast(), state.generation) }
        let connection: RedisConnection
        do throws(RedisError) {
            if let checkedOut {
                connection = checkedOut
            } else {
                connection = try RedisConnection(
                    url: url, connectTimeout: settings.connectTimeout,
                    commandTimeout: settings.commandTimeout, generation: generation)
            }
        } catch {
            recordFailure(error, generation: generation)
            throw error
        }
        let replies: [RedisReply]
        do {
            replies = try connection.pipeline(commands)
        } catch {
            recordFailure(error, generation: connection.generation)
            throw error
        }
        let recovered = state.withLock { state in
            if connection.generation == state.generation { state.idle.append(connection) }
            defer {
                state.failures = 0
                state.retryAt = nil
            }
            return state.failures > 0
        }
        if recovered { logger.notice("Redis is reachable again") }
        return replies
    }

    private func recordFailure(_ error: RedisError, generation: Int) {
        let first = state.withLock { state in
            if generation == state.generation {
                state.generation += 1
                state.idle.removeAll()
            }
            state.failures += 1
            let delay = min(.seconds(5), settings.initialBackoff * (1 << min(state.failures - 1, 6)))
            state.retryAt = ContinuousClock.now + delay
            return state.failures == 1
        }
        if first { logger.warning("Redis is unreachable; retrying with backoff", metadata: ["error": "\(error)"]) }
    }
}
