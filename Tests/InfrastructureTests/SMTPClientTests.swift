import Domain
import Foundation
import Infrastructure
import Logging
import Ports
import TestHelpers
import Testing

@Suite("SMTP: the mail transport against a real server (aiosmtpd)", .serialized)
struct SMTPClientTests {
    static let tls = ProcessInfo.processInfo.environment["CLOUDTASK_TEST_TLS_DIR"]
    static let logger = Logger(label: "smtp-tests")

    static func mail(_ subject: String = "Confirm your address") throws -> OutgoingMail {
        OutgoingMail(
            id: UUID(), to: try Email("ann@example.com"), subject: subject,
            text: "Hello Ann,\n.\nconfirm: https://cloudtask.example/dashboard#/verify-email/abc\n",
            html: "<p>Hello Ann, <a href=\"https://cloudtask.example/dashboard#/verify-email/abc\">confirm</a></p>",
            kind: "welcome")
    }

    static func client(_ url: String, timeout: Int64 = 5) throws -> SMTPClient {
        try SMTPClient(
            url: try #require(SMTPURL(url)), from: "noreply@cloudtask.example", caFile: tls.map { $0 + "/ca.pem" },
            replyTimeoutSeconds: timeout, logger: logger)
    }

    @Test("plain SMTP on loopback: the message arrives with its headers, both bodies and the link")
    func plain() async throws {
        guard let sink = try SMTPSink([]) else { return }
        try await Self.client("smtp://127.0.0.1:\(sink.port)").send(try Self.mail("Bienvenue à CloudTask"))
        let message = try #require(try sink.messages().first)
        #expect(message.contains("X-Envelope-From: noreply@cloudtask.example\r\n"))
        #expect(message.contains("X-Envelope-To: ann@example.com\r\n"))
        #expect(message.contains("From: CloudTask <noreply@cloudtask.example>\r\n"))
        #expect(message.contains("To: <ann@example.com>\r\n"))
        let subject = "Subject: =?utf-8?B?" + Data("Bienvenue à CloudTask".utf8).base64EncodedString() + "?=\r\n"
        #expect(message.contains(subject))
        #expect(message.contains("Message-ID: <") && message.contains("@cloudtask.example>\r\n"))
        #expect(message.contains("Content-Type: multipart/alternative; boundary="))
        let parts = SMTPSink.parts(message)
        #expect(parts.count == 2)
        #expect(parts.first == (try Self.mail()).text)
        #expect(parts.last?.contains("href=\"https://cloudtask.example/dashboard#/verify-email/abc\"") == true)
    }

    @Test("STARTTLS with AUTH: the server's certificate is checked, then the credentials go over TLS")
    func startTLS() async throws {
        guard let tls = Self.tls,
            let sink = try SMTPSink([
                "--tls", "starttls", "--cert", tls + "/server.pem", "--key", tls + "/server.key", "--auth", "mailer:s3cret",
            ])
        else { return }
        try await Self.client("smtp://mailer:s3cret@localhost:\(sink.port)").send(try Self.mail())
        #expect(try sink.messages().count == 1)
        await #expect(throws: MailDeliveryError.self) {
            try await Self.client("smtp://mailer:wrong@localhost:\(sink.port)").send(try Self.mail())
        }
        #expect(try sink.messages().count == 1)
    }

    @Test("implicit TLS (smtps://) with AUTH; a certificate from another CA is refused before any credential is sent")
    func implicitTLS() async throws {
        guard let tls = Self.tls,
            let sink = try SMTPSink([
                "--tls", "implicit", "--cert", tls + "/server.pem", "--key", tls + "/server.key", "--auth", "mailer:s3cret",
            ])
        else { return }
        try await Self.client("smtps://mailer:s3cret@localhost:\(sink.port)").send(try Self.mail())
        #expect(try sink.messages().count == 1)
        let stranger = try SMTPClient(
            url: try #require(SMTPURL("smtps://mailer:s3cret@localhost:\(sink.port)")), from: "noreply@cloudtask.example",
            caFile: tls + "/other-ca.pem", logger: Self.logger)
        await #expect(throws: MailDeliveryError.self) { try await stranger.send(try Self.mail()) }
        #expect(try sink.messages().count == 1)
    }

    @Test("a refused recipient is permanent, a 4xx transient, a closed port transient, a silent server times out")
    func failures() async throws {
        guard let refusing = try SMTPSink(["--rcpt", "refuse"]), let later = try SMTPSink(["--rcpt", "tempfail"]) else {
            return
        }
        do {
            try await Self.client("smtp://127.0.0.1:\(refusing.port)").send(try Self.mail())
            Issue.record("a refused recipient should throw")
        } catch MailDeliveryError.permanent(let reason) {
            #expect(reason.contains("550"))
        }
        do {
            try await Self.client("smtp://127.0.0.1:\(later.port)").send(try Self.mail())
            Issue.record("a 451 should throw")
        } catch MailDeliveryError.transient(let reason) {
            #expect(reason.contains("451"))
        }
        let closedPort = later.port
        later.stop()
        await #expect(throws: MailDeliveryError.self) {
            try await Self.client("smtp://127.0.0.1:\(closedPort)").send(try Self.mail())
        }
        // A server that accepts the connection and never says a word.
        let silent = try silentServer()
        do {
            try await Self.client("smtp://127.0.0.1:\(silent.port)", timeout: 1).send(try Self.mail())
            Issue.record("a silent server should throw")
        } catch MailDeliveryError.transient(let reason) {
            #expect(reason.contains("did not answer"))
        }
    }

    @Test("credentials are not sent to a server without TLS unless it is on loopback; URLs are checked")
    func urls() throws {
        #expect(SMTPURL("smtp://mail.example.com")?.port == 587)
        #expect(SMTPURL("smtps://u:p%40ss@mail.example.com")?.password == "p@ss")
        #expect(SMTPURL("smtps://mail.example.com")?.port == 465)
        #expect(SMTPURL("smtps://u:p@mail.example.com:2525")?.description == "smtps://u@mail.example.com:2525")
        for bad in ["http://mail.example.com", "smtp://", "smtp://u@mail.example.com", "smtp://h:99999", "smtp://h/path", "mail"]
        {
            #expect(SMTPURL(bad) == nil, "\(bad)")
        }
    }
}
