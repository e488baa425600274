import Application
import Domain
import Foundation
import HTTP
import HTTPTypes
import HummingbirdTesting
import Infrastructure
import Testing

@Suite("HTTP conventions")
struct ConventionsTests {
    @Test("every response has the request id and the security headers; Bearer and /auth responses are no-store")
    func headers() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let live = try await api.send(.get, "/health/live")
            #expect(live.status == .ok && live.headers[.xRequestID]?.count == 36)
            #expect(live.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            #expect(live.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
            #expect(live.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            #expect(live.headers[.cacheControl] == nil)

            let echoed = try await api.send(.get, "/health/live", headers: [.xRequestID: "abc.DEF_123-x"])
            #expect(echoed.headers[.xRequestID] == "abc.DEF_123-x")
            for bad in ["has space", String(repeating: "a", count: 129), "semi;colon"] {
                let replaced = try await api.send(.get, "/health/live", headers: [.xRequestID: bad])
                #expect(replaced.headers[.xRequestID] != bad && replaced.headers[.xRequestID]?.count == 36)
            }
            let auth = try await api.send(.post, "/api/v1/auth/login", json: "{}")
            #expect(auth.headers[.cacheControl] == "no-store" && auth.headers[.xRequestID] != nil)
            let bearer = try await api.send(.get, "/api/v1/jobs", token: "nonsense")
            #expect(bearer.status == .unauthorized && bearer.headers[.cacheControl] == "no-store")
        }
    }

    @Test("errors are problem details naming the instance and request id, with no internals")
    func problems() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let response = try await api.send(
                .post, "/api/v1/auth/register", json: #"{"email":"x","password":"short"}"#,
                headers: [.xRequestID: "req-1"])
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "application/problem+json")
            let body = response.object
            #expect(body["type"] as? String == "https://cloudtask.dev/problems/validation-failed")
            #expect(body["title"] as? String == "Validation failed" && body["status"] as? Int == 400)
            #expect(body["instance"] as? String == "/api/v1/auth/register" && body["request_id"] as? String == "req-1")
            #expect(response.problemFields == ["email", "password"])
            let missing = try await api.send(.get, "/api/v1/nothing-here")
            #expect(missing.status == .notFound && missing.problemSlug == "not-found")
        }
    }

    @Test(
        "malformed bodies are 400s that say what is wrong",
        arguments: [
            ("{", "malformed-request"),
            (#"{"email": NaN, "password": "correct horse"}"#, "malformed-request"),
            ("[1, 2]", "malformed-request"),
            (#""just a string""#, "malformed-request"),
            (#"{"email": 5, "password": "correct horse"}"#, "validation-failed"),
            (#"{"password": "correct horse"}"#, "validation-failed"),
            (#"{"email": null, "password": "correct horse"}"#, "validation-failed"),
            (#"{"email": "a@example.com", "password": "correct horse", "admin": true}"#, "validation-failed"),
            (#"{"email": "a@example.com", "password": "correct\u0000horse"}"#, "validation-failed"),
        ])
    func malformed(body: String, slug: String) async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let response = try await api.send(.post, "/api/v1/auth/register", json: body)
            #expect(response.status == .badRequest)
            #expect(response.problemSlug == slug)
        }
    }

    @Test("unknown fields are named; wrong types name their field")
    func namedFields() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let unknown = try await api.send(
                .post, "/api/v1/auth/register", json: #"{"email":"a@example.com","password":"correct horse","zeta":1,"alpha":2}"#)
            #expect(unknown.problemFields == ["alpha", "zeta"])
            #expect(unknown.object["detail"] as? String == "unknown fields: alpha, zeta")
            let tokens = try await api.register()
            let wrongType = try await api.send(
                .post, "/api/v1/jobs", json: #"{"command":"echo","args":["ok", 5]}"#, token: tokens.access)
            #expect(wrongType.status == .badRequest && wrongType.problemFields == ["args[1]"])
            let nul = try await api.send(
                .post, "/api/v1/jobs", json: #"{"command":"echo","args":["a\u0000b"]}"#, token: tokens.access)
            #expect(nul.status == .badRequest && nul.problemFields == ["args[0]"])
        }
    }

    @Test("a missing or non-JSON content type is 415; a charset of utf-8 is fine")
    func contentType() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let body = #"{"email":"ct@example.com","password":"correct horse"}"#
            #expect(
                try await api.send(.post, "/api/v1/auth/register", json: body, contentType: nil).status == .unsupportedMediaType)
            #expect(
                try await api.send(.post, "/api/v1/auth/register", json: body, contentType: "text/plain").status
                    == .unsupportedMediaType)
            #expect(
                try await api.send(.post, "/api/v1/auth/register", json: body, contentType: "application/json; charset=latin1")
                    .status == .unsupportedMediaType)
            #expect(
                try await api.send(.post, "/api/v1/auth/register", json: body, contentType: "application/json; charset=utf-8")
                    .status == .created)
        }
    }

    @Test("bodies over the limit are 413 on every route, read or not")
    func bodyLimit() async throws {
        var test = TestAPI()
        test.settings.maxBodyBytes = 2048
        try await test.run { (api: APIClient) async throws in
            let huge = #"{"email":"big@example.com","password":"\#(String(repeating: "x", count: 4000))"}"#
            let register = try await api.send(.post, "/api/v1/auth/register", json: huge)
            #expect(register.status == .contentTooLarge && register.problemSlug == "payload-too-large")
            let declared = try await api.send(
                .post, "/api/v1/auth/register", json: huge,
                headers: [.contentLength: String(huge.utf8.count)])
            #expect(declared.status == .contentTooLarge)
            let tokens = try await api.register()
            // GET /jobs never reads its body, and still refuses one that is too big.
            #expect(try await api.send(.get, "/api/v1/jobs", json: huge, token: tokens.access).status == .contentTooLarge)
            #expect(try await api.send(.get, "/health/live", json: huge).status == .contentTooLarge)
        }
    }

    @Test("times carry milliseconds and a Z; ids are lower-case")
    func formats() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let tokens = try await api.register()
            let job = try await api.createJob(
                #"{"command":"echo","run_at":"2030-01-02T03:04:05.678+01:00"}"#, token: tokens.access)
            #expect(job["run_at"] as? String == "2030-01-02T02:04:05.678Z")
            let created = try #require(job["created_at"] as? String)
            #expect(created.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#, options: .regularExpression) != nil)
            let id = try #require(job["id"] as? String)
            #expect(id == id.lowercased() && tokens.userID == tokens.userID.lowercased())
            #expect(job["finished_at"] is NSNull && job["error"] is NSNull && job["exit_code"] is NSNull)
        }
    }
}
