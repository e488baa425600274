import Application
import Foundation
import FuzzSupport
import HTTPTypes
import HummingbirdTesting
import Infrastructure
import Testing

@testable import HTTP

/// What a hostile client sends gets a clear 4xx: never a 5xx, never a crash. The
/// fixed cases are the ones that once got through; the fuzzed ones look for the next.
@Suite("HTTP: hostile requests")
struct HostileRequestTests {
    /// The API without per-user limits, so that the fuzzers are not answered 429.
    static var unlimited: TestAPI {
        var api = TestAPI()
        api.settings.rateLimits.api = nil
        api.settings.rateLimits.jobsCreate = nil
        return api
    }

    static func base64URL(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    @Test(
        "a cursor whose time is past year 9999 is a 400 (it killed the API on PostgreSQL)",
        arguments: [
            "1:9999999999999999:\(UUID().uuidString.lowercased())", "1:253402300800000:\(UUID().uuidString.lowercased())",
            "1:-1:\(UUID().uuidString.lowercased())", "1:99999999999999999999999:\(UUID().uuidString.lowercased())",
        ])
    func cursorOutOfRange(plain: String) async throws {
        try await TestAPI().run { api in
            let user = try await api.register()
            let response = try await api.send(.get, "/api/v1/jobs?cursor=\(Self.base64URL(plain))", token: user.access)
            #expect(response.status == .badRequest)
        }
    }

    @Test(
        "a body that is not strictly JSON is a 400 (Foundation accepted a trailing comma)",
        arguments: [
            #"{"command": "echo",}"#, #"{"command":"echo","args":["x",]}"#, #"{"command":"echo","command":"sleep"}"#,
            #"{"command":"echo","timeout_seconds":1e999}"#,
        ])
    func notStrictJSON(body: String) async throws {
        try await TestAPI().run { api in
            let user = try await api.register()
            let response = try await api.send(.post, "/api/v1/jobs", json: body, token: user.access)
            #expect(response.status == .badRequest)
            #expect(response.problemSlug == "malformed-request")
        }
    }

    @Test("times are written rounded to the nearest millisecond, as stored times come back a microsecond short")
    func millisecondRounding() {
        // 2026-11-30T10:00:02.991Z, as PostgreSQL's driver hands it back (truncated to .990999).
        let stored = Date(timeIntervalSince1970: 1_796_032_802.990_999)
        let exact = Date(timeIntervalSince1970: 1_796_032_802.991)
        #expect(Timestamp.format(stored) == "2026-11-30T10:00:02.991Z")
        #expect(Timestamp.format(exact) == Timestamp.format(stored))
    }
}

/// The fuzzed requests: run apart from the other suites by the test command (they keep
/// both cores busy for their time), bounded by `CLOUDTASK_FUZZ_SECONDS` each.
@Suite("HTTP: fuzzed requests", .serialized)
struct HTTPFuzzTests {
    @Test("fuzz: GET /jobs answers 200 or 400 to any cursor, limit and status")
    func listQueries() async throws {
        try await HostileRequestTests.unlimited.run { api in
            let user = try await api.register()
            _ = try await api.createJob(#"{"command":"echo"}"#, token: user.access)
            let page = try await api.send(.get, "/api/v1/jobs?limit=1", token: user.access).object
            let cursor = page["next_cursor"] as? String ?? HostileRequestTests.base64URL("1:0:\(UUID().uuidString.lowercased())")
            try await Fuzz.runAsync { generator in
                let query =
                    "cursor=\(Fuzz.queryValue(cursor, &generator))&limit=\(Fuzz.queryValue("20", &generator))"
                    + (Bool.random(using: &generator) ? "&status=\(Fuzz.queryValue("running", &generator))" : "")
                let response = try await api.send(.get, "/api/v1/jobs?\(query)", token: user.access)
                #expect([200, 400].contains(response.status.code), "\(query) → \(response.status.code)")
            }
        }
    }

    @Test("fuzz: POST /jobs answers every mutation of a valid body with 201 or a 4xx")
    func createBodies() async throws {
        try await HostileRequestTests.unlimited.run { api in
            let user = try await api.register()
            let valid = Array(
                #"{"command":"echo","args":["a","b"],"priority":3,"run_at":"2030-01-01T00:00:00.000Z","timeout_seconds":60,"max_attempts":2}"#
                    .utf8)
            try await Fuzz.runAsync { generator in
                let body = String(decoding: Fuzz.mutate(valid, &generator), as: UTF8.self)
                let response = try await api.send(.post, "/api/v1/jobs", json: body, token: user.access)
                #expect((200..<500).contains(response.status.code), "\(body) → \(response.status.code) \(response.text)")
                // Accepted jobs count against the unfinished limit: stop them.
                if let id = response.object["id"] as? String {
                    try await api.send(.post, "/api/v1/jobs/\(id)/stop", token: user.access)
                }
            }
        }
    }

    @Test("fuzz: POST /auth/login and /auth/refresh answer every mutation with a 4xx")
    func authBodies() async throws {
        try await HostileRequestTests.unlimited.run { api in
            let user = try await api.register("fuzz@example.com")
            let login = Array(#"{"email":"fuzz@example.com","password":"correct horse"}"#.utf8)
            let refresh = Array(#"{"refresh_token":"\#(user.refresh)"}"#.utf8)
            try await Fuzz.runAsync(seeds: Array(1...8)) { generator in
                for (path, seed) in [("/api/v1/auth/login", login), ("/api/v1/auth/refresh", refresh)] {
                    let body = String(decoding: Fuzz.mutate(seed, &generator), as: UTF8.self)
                    let response = try await api.send(.post, path, json: body)
                    #expect((200..<500).contains(response.status.code), "\(path) \(body) → \(response.status.code)")
                }
            }
        }
    }
}
