import Foundation
import TestHelpers
import Testing

/// The built `cloudtask-api` sending real mail to a real SMTP server (Debian's aiosmtpd,
/// `scripts/mail/smtp_sink.py`): what arrives, what its links do, and what a mail server
/// that refuses, is down or hangs does to mail and to requests.
@Suite("End to end: mail through a real SMTP server", .serialized)
struct MailEndToEndTests {
    static func server(smtpPort: Int, _ extra: [String: String] = [:]) async throws -> EmbeddedServer {
        try await EmbeddedServer(
            environment: [
                "CLOUDTASK_SMTP_URL": "smtp://127.0.0.1:\(smtpPort)", "CLOUDTASK_MAIL_FROM": "noreply@cloudtask.test",
                "CLOUDTASK_PUBLIC_URL": "https://cloudtask.example.com/",
            ].merging(extra) { $1 })
    }

    /// Waits until the sink holds `count` messages (at most `seconds`).
    static func messages(_ sink: SMTPSink, count: Int, seconds: Double = 20) async throws -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let received = try sink.messages()
            if received.count >= count { return received }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try sink.messages()
    }

    /// The token of the link to `#/<fragment>?token=` in a message's text part.
    static func token(_ message: String, _ fragment: String) -> String? {
        let text = SMTPSink.parts(message).first ?? ""
        guard let range = text.range(of: "https://cloudtask.example.com/dashboard#/\(fragment)?token=") else { return nil }
        return String(text[range.upperBound...].prefix { !$0.isWhitespace })
    }

    @Test("the welcome arrives with its headers and a link that confirms the address once; a reset link works once")
    func flows() async throws {
        guard let sink = try SMTPSink([]) else { return }
        let server = try await Self.server(smtpPort: sink.port)
        defer { _ = server.stop() }
        let (registered, _, _) = try await server.request(
            "POST", "/api/v1/auth/register", json: #"{"email":"mia@example.com","password":"first password"}"#)
        #expect(registered == 201)
        let welcome = try #require(try await Self.messages(sink, count: 1).first)
        #expect(welcome.contains("X-Envelope-To: mia@example.com\r\n") && welcome.contains("To: <mia@example.com>\r\n"))
        #expect(welcome.contains("X-Envelope-From: noreply@cloudtask.test") && welcome.contains("Message-ID: <"))
        #expect(welcome.contains("multipart/alternative"))
        let parts = SMTPSink.parts(welcome)
        #expect(parts.count == 2 && parts[1].contains("<a href=\"https://cloudtask.example.com/dashboard#/verify-email?token="))
        let verify = try #require(Self.token(welcome, "verify-email"))
        #expect(try await server.request("POST", "/api/v1/auth/verify-email", json: #"{"token":"\#(verify)"}"#).0 == 204)
        #expect(try await server.request("POST", "/api/v1/auth/verify-email", json: #"{"token":"\#(verify)"}"#).0 == 400)

        let (accepted, _, _) = try await server.request(
            "POST", "/api/v1/auth/password-reset", json: #"{"email":"mia@example.com"}"#)
        #expect(accepted == 202)
        let afterReset = try await Self.messages(sink, count: 2)
        let reset = try #require(afterReset.count == 2 ? afterReset[1] : nil)
        let token = try #require(Self.token(reset, "reset-password"))
        let confirm = #"{"token":"\#(token)","new_password":"second password"}"#
        #expect(try await server.request("POST", "/api/v1/auth/password-reset/confirm", json: confirm).0 == 204)
        #expect(try await server.request("POST", "/api/v1/auth/password-reset/confirm", json: confirm).0 == 400)
        let (login, _, _) = try await server.request(
            "POST", "/api/v1/auth/login", json: #"{"email":"mia@example.com","password":"second password"}"#)
        #expect(login == 200)
        // The reset is noticed by mail too.
        let all = try await Self.messages(sink, count: 3)
        #expect(all.count == 3 && (SMTPSink.parts(all[2]).first ?? "").contains("reset by a mailed link"))
        #expect(server.stop() == 0)
    }

    @Test("a server that refuses for now, then is down, delays mail without losing it: each message arrives once")
    func outage() async throws {
        guard let refusing = try SMTPSink(["--rcpt", "tempfail"]) else { return }
        let port = refusing.port
        let server = try await Self.server(
            smtpPort: port, ["CLOUDTASK_MAIL_RETRY_BASE_SECONDS": "1", "CLOUDTASK_MAIL_MAX_ATTEMPTS": "30"])
        defer { _ = server.stop() }
        #expect(
            try await server.request(
                "POST", "/api/v1/auth/register", json: #"{"email":"noa@example.com","password":"noa password"}"#
            ).0 == 201)
        try await Task.sleep(for: .seconds(3))
        #expect(try refusing.messages().isEmpty)
        refusing.stop()
        #expect(
            try await server.request("POST", "/api/v1/auth/password-reset", json: #"{"email":"noa@example.com"}"#).0 == 202)
        try await Task.sleep(for: .seconds(2))
        guard let back = try SMTPSink([], port: port) else { return }
        let received = try await Self.messages(back, count: 2, seconds: 40)
        try await Task.sleep(for: .seconds(2))  // anything sent twice would be here by now
        let subjects = try back.messages().map { message in
            message.split(separator: "\r\n").first { $0.hasPrefix("Subject: ") }.map(String.init) ?? ""
        }
        #expect(received.count == 2 && subjects.count == 2 && Set(subjects).count == 2, "\(subjects)")
        #expect(received.contains { Self.token($0, "verify-email") != nil })
        #expect(received.contains { Self.token($0, "reset-password") != nil })
    }

    @Test("a mail server that accepts and never answers holds up no request")
    func hungServer() async throws {
        guard FileManager.default.fileExists(atPath: "/usr/lib/python3/dist-packages/aiosmtpd") else { return }
        let silent = try silentServer()
        defer { silent.stop() }
        let server = try await Self.server(smtpPort: silent.port)
        defer { _ = server.stop() }
        // The SMTP client waits 30 s for a reply: a request that waited on it would time out here.
        let (registered, _, _) = try await server.request(
            "POST", "/api/v1/auth/register", json: #"{"email":"ola@example.com","password":"ola password"}"#, timeout: 10)
        #expect(registered == 201)
        for _ in 0..<3 {
            let (accepted, _, _) = try await server.request(
                "POST", "/api/v1/auth/password-reset", json: #"{"email":"ola@example.com"}"#, timeout: 10)
            #expect(accepted == 202)
        }
        let (login, _, _) = try await server.request(
            "POST", "/api/v1/auth/login", json: #"{"email":"ola@example.com","password":"ola password"}"#, timeout: 10)
        #expect(login == 200)
    }
}
