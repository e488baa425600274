import APIModels
import Application
import Domain
import Foundation
import HTTP
import HTTPTypes
import HummingbirdTesting
import Infrastructure
import Testing

@Suite("HTTP: /jobs")
struct JobRoutesTests {
    @Test("POST /jobs: 201 with Location and the job; arguments kept literally")
    func create() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let tokens = try await api.register()
            let args = ["Hello World", "$(rm -rf /)", "; ls", "`id`", "a|b", "&&", "*"]
            let argsJSON = String(decoding: try JSONSerialization.data(withJSONObject: args), as: UTF8.self)
            let response = try await api.send(
                .post, "/api/v1/jobs",
                json: #"{"command":"echo","args":\#(argsJSON),"priority":9,"max_attempts":3,"timeout_seconds":60}"#,
                token: tokens.access)
            #expect(response.status == .created)
            let job = response.object
            let id = try #require(job["id"] as? String)
            #expect(response.headers[.location] == "/api/v1/jobs/\(id)")
            #expect(job["args"] as? [String] == args && job["status"] as? String == "queued" && job["priority"] as? Int == 9)
            #expect(
                job["owner_id"] as? String == tokens.userID && job["attempts"] as? Int == 0 && job["max_attempts"] as? Int == 3)
            // Every field of the contract's job type, each present (null when empty).
            #expect(Set(job.keys) == Set(JobResource.CodingKeys.allCases.map(\.rawValue)))
            let scheduled = try await api.createJob(#"{"command":"echo","run_at":"2099-01-01T00:00:00Z"}"#, token: tokens.access)
            #expect(scheduled["status"] as? String == "scheduled")
        }
    }

    @Test(
        "POST /jobs: every invalid field is a 400 naming it",
        arguments: [
            (#"{"args":["x"]}"#, "command"),
            (#"{"command":"echo","priority":10}"#, "priority"),
            (#"{"command":"echo","priority":1.5}"#, "priority"),
            (#"{"command":"echo","priority":"high"}"#, "priority"),
            (#"{"command":"echo","timeout_seconds":0}"#, "timeout_seconds"),
            (#"{"command":"echo","timeout_seconds":3601}"#, "timeout_seconds"),
            (#"{"command":"echo","max_attempts":11}"#, "max_attempts"),
            (#"{"command":"echo","run_at":"tomorrow"}"#, "run_at"),
            (#"{"command":"echo","run_at":"2026-13-01T00:00:00Z"}"#, "run_at"),
            (#"{"command":"echo","args":"not an array"}"#, "args"),
            (#"{"command":"echo","timeout":5}"#, "timeout"),
            (#"{"command":"/bin/echo"}"#, "command"),
        ])
    func invalid(body: String, field: String) async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let tokens = try await api.register()
            let response = try await api.send(.post, "/api/v1/jobs", json: body, token: tokens.access)
            #expect(response.status == .badRequest)
            #expect(response.problemFields.contains(field))
        }
    }

    @Test("POST /jobs: argument limits")
    func argumentLimits() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let tokens = try await api.register()
            func body(_ args: [String]) -> String {
                #"{"command":"echo","args":"# + String(decoding: try! JSONSerialization.data(withJSONObject: args), as: UTF8.self)
                    + "}"
            }
            #expect(
                try await api.send(.post, "/api/v1/jobs", json: body(Array(repeating: "x", count: 65)), token: tokens.access)
                    .status == .badRequest)
            #expect(
                try await api.send(.post, "/api/v1/jobs", json: body([String(repeating: "x", count: 4097)]), token: tokens.access)
                    .status == .badRequest)
            let tooMuch = Array(repeating: String(repeating: "x", count: 4096), count: 17)
            #expect(try await api.send(.post, "/api/v1/jobs", json: body(tooMuch), token: tokens.access).status == .badRequest)
            #expect(
                try await api.send(.post, "/api/v1/jobs", json: body(Array(repeating: "x", count: 64)), token: tokens.access)
                    .status == .created)
        }
    }

    @Test(
        "POST /jobs: a name is kept and returned; one too long, empty or with a control character is a 400 naming it; it is part of an idempotent request"
    )
    func name() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let tokens = try await api.register()
            let named = try await api.createJob(#"{"command":"echo","name":"nightly report ü"}"#, token: tokens.access)
            #expect(named["name"] as? String == "nightly report ü")
            let unnamed = try await api.createJob(#"{"command":"echo"}"#, token: tokens.access)
            #expect(unnamed.keys.contains("name") && unnamed["name"] is NSNull)
            let longest = String(repeating: "é", count: 128)
            #expect(
                try await api.createJob(#"{"command":"echo","name":"\#(longest)"}"#, token: tokens.access)["name"] as? String
                    == longest)
            for bad in [String(repeating: "n", count: 129), "", #"tab\there"#, #"nul\u0000"#] {
                let response = try await api.send(
                    .post, "/api/v1/jobs", json: #"{"command":"echo","name":"\#(bad)"}"#, token: tokens.access)
                #expect(response.status == .badRequest)
                #expect(response.text.contains("name"))
            }
            let key: HTTPFields = [.idempotencyKey: "named-1"]
            let first = try await api.send(
                .post, "/api/v1/jobs", json: #"{"command":"echo","name":"a"}"#, token: tokens.access, headers: key)
            let renamed = try await api.send(
                .post, "/api/v1/jobs", json: #"{"command":"echo","name":"b"}"#, token: tokens.access, headers: key)
            #expect(first.status == .created && renamed.status == .conflict)
        }
    }

    @Test("POST /jobs: policy errors: 403 viewer, 422 command, 422 limit, idempotency 200 and 409")
    func policies() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let tokens = try await api.register()
            let notAllowed = try await api.send(
                .post, "/api/v1/jobs", json: #"{"command":"bash","args":["-c","id"]}"#, token: tokens.access)
            #expect(notAllowed.status == .unprocessableContent)
            let key: HTTPFields = [.idempotencyKey: "order-42"]
            let first = try await api.send(
                .post, "/api/v1/jobs", json: #"{"command":"echo","args":["a"]}"#, token: tokens.access, headers: key)
            let again = try await api.send(
                .post, "/api/v1/jobs", json: #"{"args":["a"],"command":"echo","priority":0}"#, token: tokens.access, headers: key)
            #expect(
                first.status == .created && again.status == .ok && first.object["id"] as? String == again.object["id"] as? String)
            let different = try await api.send(
                .post, "/api/v1/jobs", json: #"{"command":"echo","args":["b"]}"#, token: tokens.access, headers: key)
            #expect(different.status == .conflict)
            for bad in ["", String(repeating: "k", count: 256), "has space", "tab\tkey"] {
                let response = try await api.send(
                    .post, "/api/v1/jobs", json: #"{"command":"echo"}"#, token: tokens.access, headers: [.idempotencyKey: bad])
                #expect(response.status == .badRequest)
            }
            for _ in 0..<4 { _ = try await api.createJob(#"{"command":"sleep","args":["1"]}"#, token: tokens.access) }
            let limit = try await api.send(.post, "/api/v1/jobs", json: #"{"command":"true"}"#, token: tokens.access)
            #expect(limit.status == .unprocessableContent)
        }
    }

    @Test("a viewer may read but not create or stop: 403")
    func viewer() async throws {
        let test = TestAPI()
        try await test.run { (api: APIClient) async throws in
            let owner = try await api.register("owner@example.com")
            _ = try await api.register("viewer@example.com")
            _ = try await test.users.setRole(
                .viewer, forEmail: try Email("viewer@example.com"), at: Date(),
                audit: { .roleChange(from: $0, to: $1, by: nil, via: "test", context: .none) })
            let viewer = TokenPair(
                try await api.send(
                    .post, "/api/v1/auth/login", json: #"{"email":"viewer@example.com","password":"correct horse"}"#
                ).object)
            #expect(
                try await api.send(.post, "/api/v1/jobs", json: #"{"command":"echo"}"#, token: viewer.access).status == .forbidden
            )
            let job = try await api.createJob(#"{"command":"echo"}"#, token: owner.access)
            let id = job["id"] as! String
            #expect(try await api.send(.post, "/api/v1/jobs/\(id)/stop", token: viewer.access).status == .forbidden)
            #expect(try await api.send(.get, "/api/v1/jobs", token: viewer.access).status == .ok)
            // 400 (shape) comes before 403 (role).
            #expect(
                try await api.send(.post, "/api/v1/jobs", json: #"{"command":"echo","x":1}"#, token: viewer.access).status
                    == .badRequest)
        }
    }

    @Test("GET /jobs: pages, filters, owner=all for admins, bad parameters 400")
    func list() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let admin = try await api.register("root@example.com")
            let user = try await api.register()
            var ids: [String] = []
            for index in 0..<3 {
                ids.append(
                    try await api.createJob(#"{"command":"echo","args":["\#(index)"]}"#, token: user.access)["id"] as! String)
            }
            _ = try await api.createJob(#"{"command":"echo"}"#, token: admin.access)
            let page1 = try await api.send(.get, "/api/v1/jobs?limit=2", token: user.access).object
            let cursor = try #require(page1["next_cursor"] as? String)
            let page2 = try await api.send(.get, "/api/v1/jobs?limit=2&cursor=\(cursor)", token: user.access).object
            #expect(page2["next_cursor"] is NSNull)
            let seen = ((page1["jobs"] as! [[String: Any]]) + (page2["jobs"] as! [[String: Any]])).map { $0["id"] as! String }
            #expect(Set(seen) == Set(ids) && seen.count == 3)
            #expect(
                ((try await api.send(.get, "/api/v1/jobs?status=succeeded", token: user.access).object["jobs"]) as? [Any])?
                    .isEmpty == true)
            #expect(try await api.send(.get, "/api/v1/jobs?owner=all", token: user.access).status == .forbidden)
            let all = try await api.send(.get, "/api/v1/jobs?owner=all&limit=100", token: admin.access)
            #expect((all.object["jobs"] as? [Any])?.count == 4)
            for query in ["limit=0", "limit=101", "limit=abc", "status=bogus", "cursor=not-a-cursor", "owner=me", "limit=-1"] {
                let response = try await api.send(.get, "/api/v1/jobs?\(query)", token: user.access)
                #expect(response.status == .badRequest, "\(query)")
            }
        }
    }

    @Test("GET /jobs/{id}: 200 own, 404 someone else's or absent, 400 malformed; admins see all")
    func get() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let admin = try await api.register("root@example.com")
            let owner = try await api.register()
            let stranger = try await api.register()
            let id = try await api.createJob(#"{"command":"echo"}"#, token: owner.access)["id"] as! String
            #expect(try await api.send(.get, "/api/v1/jobs/\(id)", token: owner.access).status == .ok)
            #expect(try await api.send(.get, "/api/v1/jobs/\(id)", token: admin.access).status == .ok)
            let hidden = try await api.send(.get, "/api/v1/jobs/\(id)", token: stranger.access)
            let absent = try await api.send(.get, "/api/v1/jobs/\(UUID().uuidString.lowercased())", token: stranger.access)
            #expect(
                hidden.status == .notFound && absent.status == .notFound
                    && hidden.object["detail"] as? String == absent.object["detail"] as? String)
            for bad in ["not-a-uuid", "123", "\(id)x", "{\(id)}"] {
                #expect(try await api.send(.get, "/api/v1/jobs/\(bad)", token: owner.access).status == .badRequest)
            }
            #expect(try await api.send(.get, "/api/v1/jobs/\(id)/output", token: stranger.access).status == .notFound)
            #expect(try await api.send(.post, "/api/v1/jobs/\(id)/stop", token: stranger.access).status == .notFound)
        }
    }

    @Test("stop: 200 cancelled for a queued job; 409 when final")
    func stop() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let tokens = try await api.register()
            let id = try await api.createJob(#"{"command":"sleep","args":["60"]}"#, token: tokens.access)["id"] as! String
            let stopped = try await api.send(.post, "/api/v1/jobs/\(id)/stop", token: tokens.access)
            #expect(stopped.status == .ok && stopped.object["status"] as? String == "cancelled")
            #expect((stopped.object["error"] as? [String: Any])?["code"] as? String == "stopped")
            let again = try await api.send(.post, "/api/v1/jobs/\(id)/stop", token: tokens.access)
            #expect(again.status == .conflict && again.object["detail"] as? String == "job is not running")
            #expect(try await api.send(.post, "/api/v1/jobs/bad-id/stop", token: tokens.access).status == .badRequest)
        }
    }

    @Test("output: JSON by default, raw text per stream, 400 for another stream")
    func output() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let tokens = try await api.register()
            let id = try await api.createJob(#"{"command":"echo"}"#, token: tokens.access)["id"] as! String
            let json = try await api.send(.get, "/api/v1/jobs/\(id)/output", token: tokens.access)
            #expect(json.status == .ok && json.object["stdout"] as? String == "" && json.object["truncated"] as? Bool == false)
            let raw = try await api.send(.get, "/api/v1/jobs/\(id)/output?stream=stdout", token: tokens.access)
            #expect(raw.status == .ok && raw.headers[.contentType]?.hasPrefix("text/plain") == true)
            #expect(try await api.send(.get, "/api/v1/jobs/\(id)/output?stream=both", token: tokens.access).status == .badRequest)
        }
    }
}
