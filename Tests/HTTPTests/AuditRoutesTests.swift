import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("HTTP: the audit trail")
struct AuditRoutesTests {
    static func entries(_ response: TestResponse) -> [[String: Any]] {
        response.object["entries"] as? [[String: Any]] ?? []
    }

    @Test("GET /users/me/audit: the caller's own events, with the request id, newest first, in keyset pages")
    func mine() async throws {
        let test = TestAPI()
        try await test.run { (api: APIClient) async throws in
            let ann = try await api.register("ann@example.com")
            let bob = try await api.register("bob@example.com")
            var headers = HTTPFields()
            headers[.xRequestID] = "guess-1"
            let wrong = try await api.send(
                .post, "/api/v1/auth/login", json: #"{"email":"ann@example.com","password":"wrong horse"}"#,
                headers: headers)
            #expect(wrong.status == .unauthorized)
            let page = try await api.send(.get, "/api/v1/users/me/audit?limit=1", token: ann.access)
            #expect(page.status == .ok)
            let newest = try #require(Self.entries(page).first)
            #expect(newest["action"] as? String == "login.failed" && newest["outcome"] as? String == "failure")
            #expect(newest["request_id"] as? String == "guess-1" && newest["account_id"] as? String == ann.userID)
            #expect((newest["details"] as? [String: String]) == ["reason": "wrong_password"])
            #expect(newest["actor_id"] is NSNull && newest["subject"] is NSNull)
            #expect((newest["hash"] as? String)?.count == 64)
            let cursor = try #require(page.object["next_cursor"] as? String)
            let older = try await api.send(.get, "/api/v1/users/me/audit?cursor=\(cursor)", token: ann.access)
            #expect(Self.entries(older).map { $0["action"] as? String } == ["account.registered"])
            #expect(older.object["next_cursor"] is NSNull)
            // Bob sees only his registration, none of Ann's.
            let bobs = try await api.send(.get, "/api/v1/users/me/audit", token: bob.access)
            #expect(Self.entries(bobs).map { $0["account_id"] as? String } == [bob.userID])
        }
    }

    @Test("GET /admin/audit: admins only; filters by actor, action and time")
    func everyone() async throws {
        let test = TestAPI()
        try await test.run { (api: APIClient) async throws in
            let root = try await api.register("root@example.com")  // the bootstrap admin
            let ann = try await api.register("ann@example.com")
            let job = try await api.createJob(#"{"command":"echo","run_at":"2999-01-01T00:00:00Z"}"#, token: ann.access)
            let id = try #require(job["id"] as? String)
            #expect(try await api.send(.post, "/api/v1/jobs/\(id)/stop", token: root.access).status == .ok)

            #expect(try await api.send(.get, "/api/v1/admin/audit", token: ann.access).status == .forbidden)
            let all = try await api.send(.get, "/api/v1/admin/audit", token: root.access)
            #expect(all.status == .ok)
            #expect(
                Self.entries(all).map { $0["action"] as? String } == [
                    "job.stopped_by_admin", "account.registered", "account.registered",
                ])
            let byRoot = try await api.send(.get, "/api/v1/admin/audit?actor=\(root.userID)", token: root.access)
            let stop = try #require(Self.entries(byRoot).first)
            #expect(stop["account_id"] as? String == ann.userID && stop["subject"] as? String == "job:\(id)")
            let registrations = try await api.send(
                .get, "/api/v1/admin/audit?action=account.registered&since=2000-01-01T00:00:00Z", token: root.access)
            #expect(Self.entries(registrations).count == 2)
            let future = try await api.send(.get, "/api/v1/admin/audit?since=2999-01-01T00:00:00Z", token: root.access)
            #expect(Self.entries(future).isEmpty)
        }
    }

    @Test("bad filters, limits and cursors are a 400 naming the parameter")
    func refusals() async throws {
        let test = TestAPI()
        try await test.run { (api: APIClient) async throws in
            let root = try await api.register("root@example.com")
            let cases: [(String, String)] = [
                ("/api/v1/admin/audit?actor=nope", "actor"),
                ("/api/v1/admin/audit?since=yesterday", "since"),
                ("/api/v1/admin/audit?until=2026-13-45T99:00:00Z", "until"),
                ("/api/v1/admin/audit?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", "until"),
                ("/api/v1/admin/audit?limit=0", "limit"),
                ("/api/v1/admin/audit?limit=abc", "limit"),
                ("/api/v1/admin/audit?cursor=%00", "cursor"),
                ("/api/v1/admin/audit?cursor=-5", "cursor"),
                ("/api/v1/admin/audit?action=%27%3B--", "action"),
                ("/api/v1/users/me/audit?actor=\(root.userID)", "actor"),
                ("/api/v1/users/me/audit?cursor=" + String(repeating: "9", count: 40), "cursor"),
            ]
            for (path, field) in cases {
                let response = try await api.send(.get, path, token: root.access)
                #expect(response.status == .badRequest, "\(path)")
                #expect(response.problemFields.contains(field), "\(path): \(response.text)")
            }
            #expect(try await api.send(.get, "/api/v1/users/me/audit").status == .unauthorized)
        }
    }
}
