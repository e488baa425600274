import Application
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Infrastructure
import Ports
import Synchronization
import Testing

/// A transport that keeps what it is given, or fails as told.
final class RecordingMailTransport: MailTransport {
    let sent = Mutex<[OutgoingMail]>([])
    let failure = Mutex<MailDeliveryError?>(nil)

    func send(_ mail: OutgoingMail) async throws {
        if let failure = failure.withLock({ $0 }) { throw failure }
        sent.withLock { $0.append(mail) }
    }

    var messages: [OutgoingMail] { sent.withLock { $0 } }

    /// The token of the first link in the last message of `kind` that leads to `fragment`.
    func token(kind: String, fragment: String) -> String? {
        guard let mail = messages.last(where: { $0.kind == kind }),
            let range = mail.text.range(of: "#/\(fragment)?token=")
        else { return nil }
        return String(mail.text[range.upperBound...].prefix { !$0.isWhitespace })
    }
}

@Suite("HTTP: account mail (reset, confirmation, notices)")
struct AccountMailRoutesTests {
    @Test("registration mails a welcome with a confirmation link that works once; the profile shows the address confirmed")
    func confirmation() async throws {
        let test = TestAPI()
        let transport = RecordingMailTransport()
        try await test.run { api in
            let tokens = try await api.register("ann@example.com")
            let outcomes = try await test.deliverMail(through: transport)
            #expect(outcomes.map(\.kind) == [.welcome] && outcomes.first?.outcome == .sent)
            let mail = try #require(transport.messages.first)
            #expect(mail.to.value == "ann@example.com" && mail.subject.contains("confirm"))
            #expect(mail.html.contains("href=\"http://localhost:8080/dashboard#/verify-email?token="))
            let token = try #require(transport.token(kind: "welcome", fragment: "verify-email"))
            var profile = try await api.send(.get, "/api/v1/users/me", token: tokens.access)
            #expect(profile.object["email_verified"] as? Bool == false)
            let verified = try await api.send(.post, "/api/v1/auth/verify-email", json: #"{"token":"\#(token)"}"#)
            #expect(verified.status == .noContent, "\(verified.text)")
            profile = try await api.send(.get, "/api/v1/users/me", token: tokens.access)
            #expect(profile.object["email_verified"] as? Bool == true)
            let again = try await api.send(.post, "/api/v1/auth/verify-email", json: #"{"token":"\#(token)"}"#)
            #expect(again.status == .badRequest && again.problemSlug == "validation-failed")
            // Planned once: a second pass queues nothing more.
            #expect(try await test.deliverMail(through: transport).isEmpty)
        }
    }

    @Test("a reset request answers 202 either way; the link sets a new password once and signs every session out")
    func reset() async throws {
        let test = TestAPI()
        let transport = RecordingMailTransport()
        try await test.run { api in
            let tokens = try await api.register("bob@example.com", password: "old password 1")
            _ = try await test.deliverMail(through: transport)
            for email in ["nobody@example.com", "not an address", "bob@example.com"] {
                let answer = try await api.send(.post, "/api/v1/auth/password-reset", json: #"{"email":"\#(email)"}"#)
                #expect(answer.status == .accepted && answer.text.isEmpty)
            }
            let outcomes = try await test.deliverMail(through: transport)
            #expect(outcomes.map(\.kind) == [.passwordReset])
            let token = try #require(transport.token(kind: "password_reset", fragment: "reset-password"))
            let short = try await api.send(
                .post, "/api/v1/auth/password-reset/confirm", json: #"{"token":"\#(token)","new_password":"short"}"#)
            #expect(short.status == .badRequest)
            let done = try await api.send(
                .post, "/api/v1/auth/password-reset/confirm",
                json: #"{"token":"\#(token)","new_password":"new password 22"}"#)
            #expect(done.status == .noContent, "\(done.text)")
            let refreshed = try await api.send(
                .post, "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(tokens.refresh)"}"#)
            #expect(refreshed.status == .unauthorized)
            let old = try await api.send(
                .post, "/api/v1/auth/login", json: #"{"email":"bob@example.com","password":"old password 1"}"#)
            #expect(old.status == .unauthorized)
            let login = try await api.send(
                .post, "/api/v1/auth/login", json: #"{"email":"bob@example.com","password":"new password 22"}"#)
            #expect(login.status == .ok)
            let reused = try await api.send(
                .post, "/api/v1/auth/password-reset/confirm",
                json: #"{"token":"\#(token)","new_password":"third password 333"}"#)
            #expect(reused.status == .badRequest)
            // The reset confirmed the address, and its notice follows.
            let profile = try await api.send(.get, "/api/v1/users/me", token: TokenPair(login.object).access)
            #expect(profile.object["email_verified"] as? Bool == true)
            let notices = try await test.deliverMail(through: transport)
            #expect(notices.map(\.kind) == [.passwordChanged])
            #expect(transport.messages.last?.text.contains("reset by a mailed link") == true)
        }
    }

    @Test("reset mail per address is limited: past the limit the answer is still 202 and nothing more is mailed")
    func resetFlood() async throws {
        let test = TestAPI()
        let transport = RecordingMailTransport()
        try await test.run { api in
            _ = try await api.register("cat@example.com")
            _ = try await test.deliverMail(through: transport)
            for _ in 0..<6 {
                let answer = try await api.send(.post, "/api/v1/auth/password-reset", json: #"{"email":"Cat@Example.com"}"#)
                #expect(answer.status == .accepted)
            }
            let outcomes = try await test.deliverMail(through: transport)
            #expect(outcomes.count == RateLimitPolicies().passwordResetPerEmail?.limit)
        }
    }

    @Test("forged, truncated, expired, foreign-purpose and oversized tokens are one 400, never a 500")
    func hostileTokens() async throws {
        let test = TestAPI()
        let transport = RecordingMailTransport()
        try await test.run { api in
            let tokens = try await api.register("dan@example.com")
            _ = try await test.deliverMail(through: transport)
            let verify = try #require(transport.token(kind: "welcome", fragment: "verify-email"))
            let user = UserID(UUID(uuidString: tokens.userID)!)
            let expired = test.links.make(
                LinkClaims(purpose: .verifyEmail, account: user, expiresAt: Date().addingTimeInterval(-1)),
                binding: "dan@example.com")
            var flipped = Array(verify)
            flipped[flipped.count / 2] = flipped[flipped.count / 2] == "A" ? "B" : "A"
            let candidates = [
                "", ".", "a.b", String(verify.dropLast(2)), String(flipped), expired, String(repeating: "x", count: 5000),
                verify + verify, "\u{0}" + verify,
            ]
            for token in candidates {
                let body = String(data: try JSONEncoder().encode(["token": token]), encoding: .utf8)!
                let answer = try await api.send(.post, "/api/v1/auth/verify-email", json: body)
                #expect(answer.status == .badRequest, "\(token.prefix(40)): \(answer.status)")
                let reset = String(
                    data: try JSONEncoder().encode(["token": token, "new_password": "long enough 123"]), encoding: .utf8)!
                let answer2 = try await api.send(.post, "/api/v1/auth/password-reset/confirm", json: reset)
                #expect(answer2.status == .badRequest, "\(token.prefix(40)): \(answer2.status)")
            }
            // A confirmation token does not reset a password.
            let crossed = try await api.send(
                .post, "/api/v1/auth/password-reset/confirm", json: #"{"token":"\#(verify)","new_password":"long enough 123"}"#)
            #expect(crossed.status == .badRequest)
            let unknown = try await api.send(.post, "/api/v1/auth/verify-email", json: #"{"token":"x","extra":1}"#)
            #expect(unknown.status == .badRequest)
        }
    }

    @Test("with confirmation required, login is 403 email-unverified until the link is followed")
    func requiredConfirmation() async throws {
        var configured = TestAPI()
        configured.requireVerifiedEmail = true
        let test = configured
        let transport = RecordingMailTransport()
        try await test.run { api in
            _ = try await api.register("eve@example.com", password: "eve password 1")
            let login = #"{"email":"eve@example.com","password":"eve password 1"}"#
            let refused = try await api.send(.post, "/api/v1/auth/login", json: login)
            #expect(refused.status == .forbidden && refused.problemSlug == "email-unverified")
            let wrong = try await api.send(
                .post, "/api/v1/auth/login", json: #"{"email":"eve@example.com","password":"nope nope"}"#)
            #expect(wrong.status == .unauthorized)
            _ = try await test.deliverMail(through: transport)
            let token = try #require(transport.token(kind: "welcome", fragment: "verify-email"))
            #expect(try await api.send(.post, "/api/v1/auth/verify-email", json: #"{"token":"\#(token)"}"#).status == .noContent)
            #expect(try await api.send(.post, "/api/v1/auth/login", json: login).status == .ok)
        }
    }

    @Test("a job that asks for a notice is mailed when it ends, once; one that does not is not")
    func jobNotice() async throws {
        let test = TestAPI()
        let transport = RecordingMailTransport()
        try await test.run { api in
            let tokens = try await api.register("fay@example.com")
            _ = try await test.deliverMail(through: transport)
            let noted = try await api.createJob(#"{"command":"echo","name":"<b>report</b>","notify":true}"#, token: tokens.access)
            #expect(noted["notify"] as? Bool == true)
            let quiet = try await api.createJob(#"{"command":"echo"}"#, token: tokens.access)
            #expect(quiet["notify"] as? Bool == false)
            for job in [noted, quiet] {
                let id = try #require(job["id"] as? String)
                let stop = try await api.send(.post, "/api/v1/jobs/\(id)/stop", token: tokens.access)
                #expect(stop.status == .ok || stop.status == .accepted, "\(stop.text)")
            }
            let outcomes = try await test.deliverMail(through: transport)
            #expect(outcomes.map(\.kind) == [.jobFinished])
            let mail = try #require(transport.messages.last)
            #expect(mail.subject == "Job <b>report</b> cancelled")
            // A name is the user's: escaped in HTML, never markup.
            #expect(mail.html.contains("&lt;b&gt;report&lt;/b&gt;") && !mail.html.contains("<b>report"))
            #expect(mail.text.contains("/dashboard#/jobs/\(noted["id"] as! String)"))
        }
    }
}
