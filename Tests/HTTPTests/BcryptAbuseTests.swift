import Application
import Domain
import Foundation
import HTTP
import HTTPTypes
import HummingbirdTesting
import Infrastructure
import Ports
import Testing

/// bcrypt is a quarter second of CPU per call: each door to it is counted, and what
/// waits for it is bounded, so that one client cannot make everyone's login wait.
@Suite("HTTP: bcrypt is not a weapon")
struct BcryptAbuseTests {
    @Test("password changes are limited per user, wrong current passwords included")
    func passwordChanges() async throws {
        var api = TestAPI()
        api.settings.rateLimits.passwordChange = RateLimitPolicy(name: "password", limit: 3, windowSeconds: 900)
        try await api.run { api in
            let user = try await api.register()
            for _ in 0..<3 {
                let wrong = try await api.send(
                    .post, "/api/v1/users/me/password",
                    json: #"{"current_password":"not it at all","new_password":"another horse"}"#, token: user.access)
                #expect(wrong.status == .unauthorized)
            }
            let limited = try await api.send(
                .post, "/api/v1/users/me/password",
                json: #"{"current_password":"correct horse","new_password":"another horse"}"#, token: user.access)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] != nil && limited.headers[.rateLimitPolicy]?.hasPrefix("\"password\"") == true)
        }
    }

    @Test("login attempts are limited per account (the per-address limit is apart), however the email is spelled")
    func loginPerEmail() async throws {
        var api = TestAPI()
        api.settings.rateLimits.loginPerEmail = RateLimitPolicy(name: "login_email", limit: 3, windowSeconds: 900)
        try await api.run { api in
            _ = try await api.register("target@example.com")
            for (index, spelling) in ["target@example.com", "TARGET@example.com", " target@example.com"].enumerated() {
                let response = try await api.send(
                    .post, "/api/v1/auth/login", json: #"{"email":"\#(spelling)","password":"guess \#(index)"}"#)
                #expect(response.status == .unauthorized)
            }
            let limited = try await api.send(
                .post, "/api/v1/auth/login", json: #"{"email":"target@example.com","password":"correct horse"}"#)
            #expect(limited.status == .tooManyRequests)
            // Another account is not affected.
            _ = try await api.register("other@example.com")
            let other = try await api.send(
                .post, "/api/v1/auth/login", json: #"{"email":"other@example.com","password":"correct horse"}"#)
            #expect(other.status == .ok)
        }
    }

    @Test(
        "IPv6 clients are counted by their /64; IPv4 and IPv4-mapped addresses by the address",
        arguments: [
            ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2:ffff::1", true), ("2001:db8:1:2::1", "2001:db8:1:3::1", false),
            ("::ffff:192.0.2.7", "192.0.2.7", true), ("192.0.2.7", "192.0.2.8", false), ("[2001:db8::1]", "2001:db8::2", true),
        ])
    func addressKeys(first: String, second: String, same: Bool) {
        #expect((IPAddressBytes.rateLimitKey(first) == IPAddressBytes.rateLimitKey(second)) == same)
    }

    @Test("past the bcrypt queue's bound a request is refused at once (busy), not queued behind everyone's")
    func boundedQueue() async throws {
        let hasher = BcryptPasswordHasher(cost: 10, threads: 1, maxQueued: 1)
        let hash = try await hasher.hash(try Password("correct horse"))
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    do { return try await hasher.verify("correct horse", against: hash) ? "ok" : "mismatch" } catch PortError.busy
                    {
                        return "busy"
                    } catch { return "error" }
                }
            }
            var all: [String] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.contains("busy"))
        #expect(outcomes.contains("ok"))
        #expect(!outcomes.contains("mismatch") && !outcomes.contains("error"))
        // Once the queue drained, it admits again.
        #expect(try await hasher.verify("correct horse", against: hash))
    }
}
