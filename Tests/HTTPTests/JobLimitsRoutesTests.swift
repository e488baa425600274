import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// `limits` of `POST /api/v1/jobs`: asked for within the deployment's maxima (higher for
/// admins), echoed in the job resource; the defaults when left out.
@Suite("HTTP: job limits")
struct JobLimitsRoutesTests {
    @Test("limits asked for are echoed; left out, the defaults apply; a field left out takes its default")
    func echoed() async throws {
        try await TestAPI().run { api in
            let tokens = try await api.register()
            let asked = try await api.createJob(
                #"{"command":"echo","limits":{"memory_bytes":268435456,"cpu":0.5,"tasks":32}}"#, token: tokens.access)
            let limits = try #require(asked["limits"] as? [String: Any])
            #expect(
                limits["memory_bytes"] as? Int == 268_435_456 && limits["cpu"] as? Double == 0.5 && limits["tasks"] as? Int == 32)
            let plain = try await api.createJob(#"{"command":"echo"}"#, token: tokens.access)
            let defaults = try #require(plain["limits"] as? [String: Any])
            #expect(
                defaults["memory_bytes"] as? Int == 512 << 20 && defaults["cpu"] as? Double == 1
                    && defaults["tasks"] as? Int == 256)
            let partial = try await api.createJob(#"{"command":"echo","limits":{"cpu":2}}"#, token: tokens.access)
            let mixed = try #require(partial["limits"] as? [String: Any])
            #expect(mixed["memory_bytes"] as? Int == 512 << 20 && mixed["cpu"] as? Double == 2 && mixed["tasks"] as? Int == 256)
            // Read back the same.
            let id = try #require(asked["id"] as? String)
            let read = try await api.send(.get, "/api/v1/jobs/\(id)", token: tokens.access)
            #expect((read.object["limits"] as? [String: Any])?["tasks"] as? Int == 32)
        }
    }

    @Test("above the maxima is a 422 naming the field; an admin may ask for more, not for everything")
    func maxima() async throws {
        try await TestAPI().run { api in
            let user = try await api.register()
            let admin = try await api.register("root@example.com")
            let much = #"{"command":"echo","limits":{"memory_bytes":4294967296,"cpu":3}}"#
            let refused = try await api.send(.post, "/api/v1/jobs", json: much, token: user.access)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.text.contains("limits.memory_bytes") && refused.text.contains("limits.cpu"))
            #expect(!refused.text.contains("limits.tasks"))
            let allowed = try await api.send(.post, "/api/v1/jobs", json: much, token: admin.access)
            #expect(allowed.status == .created)
            let tooMuch = try await api.send(
                .post, "/api/v1/jobs", json: #"{"command":"echo","limits":{"tasks":100000}}"#, token: admin.access)
            #expect(tooMuch.status == .unprocessableContent && tooMuch.text.contains("limits.tasks"))
        }
    }

    @Test(
        "limits out of any range, of the wrong kind, or with an unknown member are a 400 naming the field",
        arguments: [
            (#"{"memory_bytes":1024}"#, "limits.memory_bytes"),
            (#"{"memory_bytes":1.5}"#, "limits.memory_bytes"),
            (#"{"cpu":0}"#, "limits.cpu"),
            (#"{"cpu":"half"}"#, "limits.cpu"),
            (#"{"tasks":0}"#, "limits.tasks"),
            (#"{"swap":1}"#, "limits.swap"),
        ])
    func invalid(limits: String, field: String) async throws {
        try await TestAPI().run { api in
            let tokens = try await api.register()
            let response = try await api.send(
                .post, "/api/v1/jobs", json: #"{"command":"echo","limits":\#(limits)}"#, token: tokens.access)
            #expect(response.status == .badRequest)
            #expect(response.problemFields.contains(field), "\(response.text)")
        }
    }

    @Test("the same Idempotency-Key with other limits is a 409; with the defaults spelled out, the same job")
    func idempotency() async throws {
        try await TestAPI().run { api in
            let tokens = try await api.register()
            let key: HTTPFields = [.idempotencyKey: "limited-1"]
            let first = try await api.send(
                .post, "/api/v1/jobs", json: #"{"command":"echo","limits":{"tasks":8}}"#, token: tokens.access, headers: key)
            let same = try await api.send(
                .post, "/api/v1/jobs", json: #"{"command":"echo","limits":{"tasks":8,"cpu":1}}"#, token: tokens.access,
                headers: key)
            let other = try await api.send(
                .post, "/api/v1/jobs", json: #"{"command":"echo","limits":{"tasks":9}}"#, token: tokens.access, headers: key)
            #expect(first.status == .created && same.status == .ok && other.status == .conflict)
        }
    }
}
