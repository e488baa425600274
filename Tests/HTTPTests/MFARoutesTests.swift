import Application
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Infrastructure
import Ports
import Testing

@Suite("HTTP: two-factor login")
struct MFARoutesTests {
    /// Enrols the account behind `tokens` and returns its secret and recovery codes.
    static func enrol(_ api: APIClient, _ test: TestAPI, _ tokens: TokenPair) async throws -> (TOTPSecret, [String]) {
        let enrolment = try await api.send(.post, "/api/v1/users/me/mfa/totp", token: tokens.access)
        #expect(enrolment.status == .created)
        let body = enrolment.object
        #expect((body["otpauth_uri"] as? String)?.hasPrefix("otpauth://totp/") == true)
        #expect((body["qr_svg"] as? String)?.hasPrefix("<svg") == true)
        let secret = try #require(try await test.mfaStore.factor(of: UserID(UUID(uuidString: tokens.userID)!))?.secret)
        #expect(body["secret"] as? String == TOTPCodes().displayed(secret))
        let code = TOTPCodes().code(secret: secret, at: Date())
        let confirmed = try await api.send(
            .post, "/api/v1/users/me/mfa/totp/confirm", json: #"{"code":"\#(code)"}"#, token: tokens.access)
        #expect(confirmed.status == .ok, "\(confirmed.text)")
        return (secret, confirmed.object["recovery_codes"] as? [String] ?? [])
    }

    @Test("the password step answers 401 mfa-required with an mfa_token; POST /auth/mfa with a recovery code gives tokens")
    func loginFlow() async throws {
        let test = TestAPI()
        try await test.run { (api: APIClient) async throws in
            let tokens = try await api.register("ann@example.com")
            let status = try await api.send(.get, "/api/v1/users/me/mfa", token: tokens.access)
            #expect((status.object["totp"] as? [String: Bool]) == ["enabled": false, "pending": false])
            let (_, recovery) = try await Self.enrol(api, test, tokens)
            #expect(recovery.count == 10)
            let after = try await api.send(.get, "/api/v1/users/me/mfa", token: tokens.access)
            #expect(after.object["recovery_codes_left"] as? Int == 10)

            let password = try await api.send(
                .post, "/api/v1/auth/login", json: #"{"email":"ann@example.com","password":"correct horse"}"#)
            #expect(password.status == .unauthorized && password.problemSlug == "mfa-required")
            #expect(password.object["access_token"] == nil && password.object["expires_in"] as? Int == 300)
            let mfaToken = try #require(password.object["mfa_token"] as? String)
            #expect(mfaToken.hasPrefix("mfa_"))

            let both = try await api.send(
                .post, "/api/v1/auth/mfa", json: #"{"mfa_token":"\#(mfaToken)","code":"123456","recovery_code":"x"}"#)
            #expect(both.status == .badRequest && both.problemFields == ["code"])
            let unknown = try await api.send(.post, "/api/v1/auth/mfa", json: #"{"mfa_token":"\#(mfaToken)","otp":"1"}"#)
            #expect(unknown.status == .badRequest)
            let wrong = try await api.send(
                .post, "/api/v1/auth/mfa", json: #"{"mfa_token":"\#(mfaToken)","code":"000000"}"#)
            #expect(wrong.status == .unauthorized && wrong.problemSlug == "unauthenticated")
            let done = try await api.send(
                .post, "/api/v1/auth/mfa", json: #"{"mfa_token":"\#(mfaToken)","recovery_code":"\#(recovery[0])"}"#)
            #expect(done.status == .ok && (done.object["access_token"] as? String)?.isEmpty == false)
            let again = try await api.send(
                .post, "/api/v1/auth/mfa", json: #"{"mfa_token":"\#(mfaToken)","recovery_code":"\#(recovery[1])"}"#)
            #expect(again.status == .unauthorized)
            let audit = try await api.send(.get, "/api/v1/users/me/audit?limit=100", token: tokens.access)
            let actions = (audit.object["entries"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
            #expect(actions.prefix(3) == ["login.succeeded", "mfa.recovery_code_used", "mfa.failed"])
            #expect(actions.contains("mfa.enabled"))
        }
    }

    @Test("disabling: 401 without the right password and code; 204 with them; a second enrolment then works")
    func disable() async throws {
        let test = TestAPI()
        try await test.run { (api: APIClient) async throws in
            let tokens = try await api.register("bob@example.com")
            let (secret, _) = try await Self.enrol(api, test, tokens)
            let noCode = try await api.send(
                .delete, "/api/v1/users/me/mfa/totp", json: #"{"password":"correct horse"}"#, token: tokens.access)
            #expect(noCode.status == .badRequest)
            let wrong = try await api.send(
                .delete, "/api/v1/users/me/mfa/totp", json: #"{"password":"nope nope","code":"000000"}"#,
                token: tokens.access)
            #expect(wrong.status == .unauthorized && wrong.problemSlug == "wrong-credentials")
            #expect(wrong.headers[.wwwAuthenticate] == nil)
            // The confirmation used this step's code: the next step's is accepted (the window allows it).
            let code = TOTPCodes().code(secret: secret, at: Date().addingTimeInterval(30))
            let disabled = try await api.send(
                .delete, "/api/v1/users/me/mfa/totp", json: #"{"password":"correct horse","code":"\#(code)"}"#,
                token: tokens.access)
            #expect(disabled.status == .noContent, "\(disabled.text)")
            #expect(try await api.send(.post, "/api/v1/users/me/mfa/totp", token: tokens.access).status == .created)
            let login = try await api.send(
                .post, "/api/v1/auth/login", json: #"{"email":"bob@example.com","password":"correct horse"}"#)
            #expect(login.status == .ok)
        }
    }

    @Test("enrolment without a sealing key is a 422; confirming with nothing pending a 409; a second enrolment a 409")
    func refusals() async throws {
        var unavailable = TestAPI()
        unavailable.mfaSettings = MFASettings(available: false)
        try await unavailable.run { (api: APIClient) async throws in
            let tokens = try await api.register()
            let response = try await api.send(.post, "/api/v1/users/me/mfa/totp", token: tokens.access)
            #expect(response.status == .unprocessableContent && response.text.contains("CLOUDTASK_MFA_KEY"))
        }
        let test = TestAPI()
        try await test.run { (api: APIClient) async throws in
            let tokens = try await api.register()
            let nothing = try await api.send(
                .post, "/api/v1/users/me/mfa/totp/confirm", json: #"{"code":"123456"}"#, token: tokens.access)
            #expect(nothing.status == .conflict)
            _ = try await Self.enrol(api, test, tokens)
            #expect(try await api.send(.post, "/api/v1/users/me/mfa/totp", token: tokens.access).status == .conflict)
            #expect(try await api.send(.get, "/api/v1/users/me/mfa").status == .unauthorized)
        }
    }
}
