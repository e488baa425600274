import Application
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

@testable import HTTP

/// Live streams are bounded: per user, per process, and by the validity of the token
/// they were opened with.
@Suite("HTTP: live stream limits")
struct LiveStreamLimitTests {
    @Test(
        "streams past the per-user cap are a 429 with Retry-After; past the per-process cap a 503; a closed stream frees its place"
    )
    func caps() async throws {
        var configured = TestAPI()
        configured.settings.liveStreams = LiveStreamLimits(perUser: 2, perProcess: 3)
        let testAPI = configured
        try await testAPI.run { (api: APIClient) async throws in
            let greedy = try await api.register()
            let other = try await api.register()
            let open = (0..<2).map { _ in Task { try await api.send(.get, "/api/v1/events", token: greedy.access) } }
            try await waitUntil { testAPI.hub.subscriberCount == 2 }
            let third = try await api.send(.get, "/api/v1/events", token: greedy.access)
            #expect(
                third.status == .tooManyRequests && third.headers[.retryAfter] == "5" && third.problemSlug == "too-many-streams")
            let neighbours = Task { try await api.send(.get, "/api/v1/events", token: other.access) }
            try await waitUntil { testAPI.hub.subscriberCount == 3 }
            let full = try await api.send(.get, "/api/v1/events", token: other.access)
            #expect(full.status == .serviceUnavailable && full.headers[.retryAfter] == "5")
            testAPI.hub.finishAll()
            for stream in open { _ = try await stream.value }
            _ = try await neighbours.value
            // Every place was given back.
            let again = Task { try await api.send(.get, "/api/v1/events", token: greedy.access) }
            try await waitUntil { testAPI.hub.subscriberCount == 1 }
            testAPI.hub.finishAll()
            #expect(try await again.value.status == .ok)
        }
    }

    @Test("a stream ends at the first heartbeat after its session was revoked (logout)")
    func revokedSessionEndsStream() async throws {
        let testAPI = TestAPI()
        try await testAPI.run { (api: APIClient) async throws in
            let user = try await api.register()
            let streaming = Task { try await api.send(.get, "/api/v1/events", token: user.access) }
            try await waitUntil { testAPI.hub.subscriberCount == 1 }
            testAPI.hub.tick()
            try await Task.sleep(for: .milliseconds(100))
            #expect(testAPI.hub.subscriberCount == 1)  // a heartbeat of a valid session goes on
            #expect(try await api.send(.post, "/api/v1/auth/logout", json: "{}", token: user.access).status == .noContent)
            testAPI.hub.tick()
            try await waitUntil { testAPI.hub.subscriberCount == 0 }
            #expect(testAPI.hub.subscriberCount == 0)  // ended by itself: no finishAll
            let response = try await streaming.value
            #expect(response.status == .ok && response.text.contains(": heartbeat"))
        }
    }

    /// A client that reads nothing: every write waits until the connection is closed.
    struct StuckWriter: ResponseBodyWriter {
        mutating func write(_ buffer: ByteBuffer) async throws {
            try await Task.sleep(for: .seconds(3600))
        }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    @Test("a write that waits longer than the limit for a client that reads nothing closes the connection")
    func stalledWrite() async throws {
        let closes = Counter()
        let watch = StalledWriteWatch(limit: .milliseconds(200)) { closes.increment() }
        let writing = Task {
            var writer: any ResponseBodyWriter = StuckWriter()
            try await watch.write(ByteBuffer(string: "data"), to: &writer)
        }
        try await waitUntil { closes.value > 0 }
        #expect(closes.value == 1)
        writing.cancel()
        // A writer that keeps up is never closed.
        let calm = Counter()
        let quiet = StalledWriteWatch(limit: .milliseconds(200)) { calm.increment() }
        try await Task.sleep(for: .milliseconds(500))
        quiet.stop()
        #expect(calm.value == 0)
    }
}

final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
