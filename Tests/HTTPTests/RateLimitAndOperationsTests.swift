import Application
import Domain
import Foundation
import HTTP
import HTTPTypes
import HummingbirdTesting
import Infrastructure
import Testing

@Suite("HTTP: rate limits, order of errors, operations")
struct RateLimitAndOperationsTests {
    @Test("login is limited per client: headers in both forms, then 429 with Retry-After")
    func loginLimit() async throws {
        var test = TestAPI()
        test.settings.rateLimits.login = RateLimitPolicy(name: "login", limit: 2, windowSeconds: 900)
        try await test.run { (api: APIClient) async throws in
            let body = #"{"email":"x@example.com","password":"wrong horse"}"#
            let first = try await api.send(.post, "/api/v1/auth/login", json: body)
            #expect(first.status == .unauthorized)
            #expect(first.headers[HTTPField.Name("RateLimit-Limit")!] == "2" && first.headers[.rateLimitRemaining] == "1")
            #expect(first.headers[.rateLimitPolicy] == #""login";q=2;w=900"#)
            #expect(first.headers[.rateLimit]?.hasPrefix(#""login";r=1;t="#) == true)
            _ = try await api.send(.post, "/api/v1/auth/login", json: body)
            let refused = try await api.send(.post, "/api/v1/auth/login", json: body)
            #expect(refused.status == .tooManyRequests && refused.problemSlug == "rate-limited")
            // 450 s from the first request (two of two spent, each worth 900/2 s); the
            // clock is real and bcrypt is slow on a busy machine, so a second or two of it
            // may have passed by the third request. The exact arithmetic is GCRA's tests'.
            #expect((447...450).contains(Int(refused.headers[.retryAfter] ?? "") ?? 0))
            // Per-IP 429 comes before the request's shape on public routes.
            #expect(try await api.send(.post, "/api/v1/auth/login", json: "{").status == .tooManyRequests)
        }
    }

    @Test("jobs_create also counts against api; the headers show the policy with the least remaining")
    func twoPolicies() async throws {
        var test = TestAPI()
        test.settings.rateLimits.api = RateLimitPolicy(name: "api", limit: 10, windowSeconds: 60)
        test.settings.rateLimits.jobsCreate = RateLimitPolicy(name: "jobs_create", limit: 2, windowSeconds: 60)
        try await test.run { (api: APIClient) async throws in
            let tokens = try await api.register()
            let created = try await api.send(.post, "/api/v1/jobs", json: #"{"command":"true"}"#, token: tokens.access)
            #expect(created.headers[.rateLimitPolicy] == #""jobs_create";q=2;w=60"#)
            _ = try await api.send(.post, "/api/v1/jobs", json: #"{"command":"true"}"#, token: tokens.access)
            #expect(
                try await api.send(.post, "/api/v1/jobs", json: #"{"command":"true"}"#, token: tokens.access).status
                    == .tooManyRequests)
            let list = try await api.send(.get, "/api/v1/jobs", token: tokens.access)
            #expect(list.status == .ok && list.headers[.rateLimitPolicy] == #""api";q=10;w=60"#)
            #expect(list.headers[.rateLimitRemaining] == "6")  // three creates and this list
        }
    }

    @Test("order of errors: 401 before 429 before 413 before 400 before 403 before 404")
    func order() async throws {
        var test = TestAPI()
        test.settings.maxBodyBytes = 1024
        test.settings.rateLimits.api = RateLimitPolicy(name: "api", limit: 3, windowSeconds: 60)
        try await test.run { (api: APIClient) async throws in
            let huge = String(repeating: "x", count: 2000)
            // 401 wins over everything, even with a huge body.
            #expect(try await api.send(.post, "/api/v1/jobs", json: huge, token: "bad").status == .unauthorized)
            let tokens = try await api.register()
            // 413 before 400/415.
            #expect(
                try await api.send(.post, "/api/v1/jobs", json: huge, token: tokens.access, contentType: "text/plain").status
                    == .contentTooLarge)
            // 400 (malformed id) before 404.
            #expect(try await api.send(.get, "/api/v1/jobs/nope", token: tokens.access).status == .badRequest)
            // 404 for an absent job, the third and last request of the budget.
            #expect(
                try await api.send(.get, "/api/v1/jobs/\(UUID().uuidString.lowercased())", token: tokens.access).status
                    == .notFound)
            // Now the api budget (3) is spent: 429 before the 400 and 413 the requests would get.
            #expect(try await api.send(.get, "/api/v1/jobs/nope", token: tokens.access).status == .tooManyRequests)
            #expect(try await api.send(.post, "/api/v1/jobs", json: huge, token: tokens.access).status == .tooManyRequests)
        }
    }

    @Test("limits can be switched off")
    func off() async throws {
        var test = TestAPI()
        test.settings.rateLimits.api = nil
        test.settings.rateLimits.jobsCreate = nil
        try await test.run { (api: APIClient) async throws in
            let tokens = try await api.register()
            let response = try await api.send(.get, "/api/v1/jobs", token: tokens.access)
            #expect(response.status == .ok && response.headers[.rateLimitPolicy] == nil)
        }
    }

    @Test("health: live; ready says degraded without Redis, 503 without PostgreSQL")
    func health() async throws {
        var test = TestAPI()
        try await test.run { (api: APIClient) async throws in
            let ready = try await api.send(.get, "/health/ready")
            #expect(ready.status == .ok && ready.object["status"] as? String == "ok")
            #expect(try await api.send(.get, "/health/live").object["status"] as? String == "ok")
        }
        test.health = HealthChecks(postgres: { true }, redis: { false }, rabbitmq: { true })
        try await test.run { (api: APIClient) async throws in
            let ready = try await api.send(.get, "/health/ready")
            #expect(ready.status == .ok && ready.object["status"] as? String == "degraded")
            #expect((ready.object["checks"] as? [String: String]) == ["postgres": "ok", "redis": "down", "rabbitmq": "ok"])
        }
        test.health = HealthChecks(postgres: { false }, redis: { true }, rabbitmq: { true })
        try await test.run { (api: APIClient) async throws in
            let ready = try await api.send(.get, "/health/ready")
            #expect(ready.status == .serviceUnavailable && (ready.object["checks"] as? [String: String])?["postgres"] == "down")
        }
    }

    @Test("metrics: request series by route template; optionally behind a token")
    func metrics() async throws {
        var test = TestAPI()
        try await test.run { (api: APIClient) async throws in
            let tokens = try await api.register()
            _ = try await api.send(.get, "/api/v1/jobs/\(UUID().uuidString.lowercased())", token: tokens.access)
            let text = try await api.send(.get, "/metrics").text
            #expect(text.contains(#"http_requests_total{method="GET",route="/api/v1/jobs/{id}",status="404"} 1"#))
            #expect(text.contains(#"http_requests_total{method="POST",route="/api/v1/auth/register",status="201"} 1"#))
            #expect(!text.contains(tokens.userID))
        }
        test.settings.metricsToken = "scrape-token"
        try await test.run { (api: APIClient) async throws in
            #expect(try await api.send(.get, "/metrics").status == .unauthorized)
            #expect(try await api.send(.get, "/metrics", token: "wrong").status == .unauthorized)
            #expect(try await api.send(.get, "/metrics", token: "scrape-token").status == .ok)
        }
    }

    @Test("the OpenAPI document is served and describes every route")
    func openAPI() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let response = try await api.send(.get, "/openapi.json")
            #expect(response.status == .ok)
            #expect(response.object["openapi"] as? String == "3.1.0")
            let paths = Set(((response.object["paths"] as? [String: Any]) ?? [:]).keys)
            // Exactly the router's routes: neither can gain one the other lacks.
            #expect(
                paths
                    == Set(
                        servedRoutes.map {
                            $0.1.replacingOccurrences(of: ":id", with: "{id}").replacingOccurrences(of: ":name", with: "{name}")
                        }))
            #expect(paths.contains("/api/v1/jobs/{id}/events") && paths.contains("/api/v1/admin/overview"))
        }
    }

    @Test("client address: the peer, or the first untrusted X-Forwarded-For hop behind a trusted proxy")
    func clientAddress() throws {
        let trusted = [try #require(CIDR("10.0.0.0/8"))]
        #expect(ClientAddress.resolve(peer: "203.0.113.9", forwardedFor: "1.2.3.4", trusted: trusted) == "203.0.113.9")
        #expect(ClientAddress.resolve(peer: "10.0.0.2", forwardedFor: "1.2.3.4", trusted: trusted) == "1.2.3.4")
        #expect(
            ClientAddress.resolve(peer: "10.0.0.2", forwardedFor: "6.6.6.6, 1.2.3.4, 10.0.0.7", trusted: trusted) == "1.2.3.4")
        #expect(ClientAddress.resolve(peer: "10.0.0.2", forwardedFor: "garbage", trusted: trusted) == "10.0.0.2")
        #expect(ClientAddress.resolve(peer: "10.0.0.2", forwardedFor: nil, trusted: trusted) == "10.0.0.2")
        #expect(ClientAddress.resolve(peer: "10.0.0.2", forwardedFor: "1.2.3.4", trusted: []) == "10.0.0.2")
    }
}

@Suite("HTTP: routes and methods")
struct RouteTableTests {
    @Test("every route in the table is served (the table cannot drift from the router)")
    func tableMatchesRouter() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let tokens = try await api.register()
            for (method, template) in servedRoutes {
                let path = template.replacingOccurrences(of: ":id", with: UUID().uuidString.lowercased())
                let response = try await api.send(method, path, json: method == .post ? "{}" : nil, token: tokens.access)
                #expect(
                    response.status != .methodNotAllowed
                        && !(response.status == .notFound && response.problemSlug != "not-found"),
                    "\(method) \(template)")
                #expect(response.status.code != 404 || template.contains(":id"), "\(method) \(template)")
            }
        }
    }

    @Test("a known path with another method is 405 with Allow; an unknown path is 404")
    func methodNotAllowed() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let response = try await api.send(.delete, "/api/v1/jobs")
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == "POST, GET")
            #expect(try await api.send(.put, "/api/v1/jobs/\(UUID().uuidString.lowercased())").headers[.allow] == "GET")
            #expect(try await api.send(.delete, "/api/v1/elsewhere").status == .notFound)
        }
    }
}
