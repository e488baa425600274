import Application
import Crypto
import Domain
import Foundation
import HTTP
import HTTPTypes
import HummingbirdTesting
import Infrastructure
import Testing

@Suite("HTTP: /auth and /users")
struct AuthRoutesTests {
    @Test("register: 201 with tokens and the user; 409 for a taken email; 400 for bad fields")
    func register() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let created = try await api.send(
                .post, "/api/v1/auth/register",
                json: #"{"email":" Eve@Example.com ","password":"correct horse","username":"eve_1"}"#)
            #expect(created.status == .created)
            let body = created.object
            #expect(body["token_type"] as? String == "Bearer" && body["expires_in"] as? Int == 900)
            let user = try #require(body["user"] as? [String: Any])
            #expect(
                user["email"] as? String == "eve@example.com" && user["username"] as? String == "eve_1"
                    && user["role"] as? String == "user")
            #expect(Set(user.keys) == ["id", "email", "username", "role", "created_at", "email_verified"])
            let taken = try await api.send(
                .post, "/api/v1/auth/register", json: #"{"email":"EVE@example.com","password":"another pass"}"#)
            #expect(taken.status == .conflict)
            let badName = try await api.send(
                .post, "/api/v1/auth/register",
                json: #"{"email":"f@example.com","password":"correct horse","username":"no spaces"}"#)
            #expect(badName.status == .badRequest && badName.problemFields == ["username"])
            let long = try await api.send(
                .post, "/api/v1/auth/register",
                json: #"{"email":"g@example.com","password":"\#(String(repeating: "p", count: 73))"}"#)
            #expect(long.status == .badRequest && long.problemFields == ["password"])
        }
    }

    @Test("the bootstrap email becomes admin")
    func bootstrap() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let admin = try await api.send(
                .post, "/api/v1/auth/register", json: #"{"email":"root@example.com","password":"correct horse"}"#)
            #expect((admin.object["user"] as? [String: Any])?["role"] as? String == "admin")
        }
    }

    @Test("login: 200; wrong password and unknown email get the same 401 body; missing field 400")
    func login() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            _ = try await api.register("lo@example.com")
            #expect(
                try await api.send(.post, "/api/v1/auth/login", json: #"{"email":"lo@example.com","password":"correct horse"}"#)
                    .status == .ok)
            let wrong = try await api.send(
                .post, "/api/v1/auth/login", json: #"{"email":"lo@example.com","password":"wrong horse"}"#)
            let unknown = try await api.send(
                .post, "/api/v1/auth/login", json: #"{"email":"nobody@example.com","password":"wrong horse"}"#)
            #expect(wrong.status == .unauthorized && unknown.status == .unauthorized)
            var a = wrong.object
            var b = unknown.object
            a["request_id"] = nil
            b["request_id"] = nil
            #expect(NSDictionary(dictionary: a).isEqual(to: b))
            let missing = try await api.send(.post, "/api/v1/auth/login", json: #"{"email":"lo@example.com"}"#)
            #expect(missing.status == .badRequest && missing.problemFields == ["password"])
        }
    }

    @Test("refresh: a new refresh token each time; a spent one is 401 and ends the session")
    func refresh() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let first = try await api.register()
            let rotated = try await api.send(.post, "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(first.refresh)"}"#)
            #expect(rotated.status == .ok)
            let second = TokenPair(rotated.object)
            #expect(second.refresh != first.refresh && !second.refresh.isEmpty)
            #expect(try await api.send(.get, "/api/v1/users/me", token: second.access).status == .ok)
            let reused = try await api.send(.post, "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(first.refresh)"}"#)
            #expect(reused.status == .unauthorized)
            #expect(try await api.send(.get, "/api/v1/users/me", token: second.access).status == .unauthorized)
            #expect(
                try await api.send(.post, "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(second.refresh)"}"#).status
                    == .unauthorized)
            #expect(
                try await api.send(.post, "/api/v1/auth/refresh", json: #"{"refresh_token":"garbage"}"#).status == .unauthorized)
        }
    }

    @Test("logout: 204, the token dies; all: every session; no token: 401")
    func logout() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let first = try await api.register("out@example.com")
            let secondResponse = try await api.send(
                .post, "/api/v1/auth/login", json: #"{"email":"out@example.com","password":"correct horse"}"#)
            let second = TokenPair(secondResponse.object)
            #expect(try await api.send(.post, "/api/v1/auth/logout", token: first.access).status == .noContent)
            #expect(try await api.send(.get, "/api/v1/users/me", token: first.access).status == .unauthorized)
            #expect(try await api.send(.get, "/api/v1/users/me", token: second.access).status == .ok)
            let third = TokenPair(
                try await api.send(.post, "/api/v1/auth/login", json: #"{"email":"out@example.com","password":"correct horse"}"#)
                    .object)
            #expect(
                try await api.send(.post, "/api/v1/auth/logout", json: #"{"all":true}"#, token: second.access).status
                    == .noContent)
            #expect(try await api.send(.get, "/api/v1/users/me", token: third.access).status == .unauthorized)
            #expect(try await api.send(.post, "/api/v1/auth/logout").status == .unauthorized)
            #expect(
                try await api.send(.post, "/api/v1/auth/logout", json: #"{"all":"yes"}"#, token: third.access).status
                    == .unauthorized)
        }
    }

    @Test("/users/me and password change")
    func me() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let tokens = try await api.register("me@example.com")
            let me = try await api.send(.get, "/api/v1/users/me", token: tokens.access)
            #expect(me.status == .ok && me.object["email"] as? String == "me@example.com" && me.object["username"] is NSNull)
            let other = TokenPair(
                try await api.send(.post, "/api/v1/auth/login", json: #"{"email":"me@example.com","password":"correct horse"}"#)
                    .object)
            let wrong = try await api.send(
                .post, "/api/v1/users/me/password", json: #"{"current_password":"nope nope","new_password":"brand new pass"}"#,
                token: tokens.access)
            #expect(wrong.status == .unauthorized)
            let short = try await api.send(
                .post, "/api/v1/users/me/password", json: #"{"current_password":"correct horse","new_password":"short"}"#,
                token: tokens.access)
            #expect(short.status == .badRequest && short.problemFields == ["new_password"])
            let changed = try await api.send(
                .post, "/api/v1/users/me/password",
                json: #"{"current_password":"correct horse","new_password":"brand new pass"}"#, token: tokens.access)
            #expect(changed.status == .noContent)
            #expect(try await api.send(.get, "/api/v1/users/me", token: tokens.access).status == .ok)
            #expect(try await api.send(.get, "/api/v1/users/me", token: other.access).status == .unauthorized)
        }
    }

    @Test("bad tokens are 401 with WWW-Authenticate: missing, malformed, tampered, alg none, a refresh token")
    func badTokens() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let tokens = try await api.register()
            let parts = tokens.access.split(separator: ".").map(String.init)
            let payload = parts[1]
            func segment(_ json: String) -> String {
                Data(json.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(
                    of: "/", with: "_"
                ).replacingOccurrences(of: "=", with: "")
            }
            let none = segment(#"{"alg":"none","typ":"JWT"}"#) + "." + payload + "."
            let tampered = parts[0] + "." + segment(#"{"sub":"x","role":"admin"}"#) + "." + parts[2]
            let headers: [HTTPFields] = [
                [:], [.authorization: "Bearer"], [.authorization: "Basic dXNlcjpwYXNz"], [.authorization: "Bearer \(none)"],
                [.authorization: "Bearer \(tampered)"], [.authorization: "Bearer \(tokens.refresh)"],
                [.authorization: "Bearer a.b.c"],
            ]
            for header in headers {
                let response = try await api.send(.get, "/api/v1/jobs", headers: header)
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == #"Bearer error="invalid_token""#)
            }
        }
    }
}
