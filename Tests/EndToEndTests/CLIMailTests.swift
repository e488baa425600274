import Foundation
import TestHelpers
import Testing

/// The `cloudtask` client's mail commands against the built server sending real mail.
@Suite("cloudtask CLI: mailed links", .serialized)
struct CLIMailTests {
    @Test("verify-email and reset-password take the mailed link as pasted; start --notify mails when the job ends")
    func links() async throws {
        guard let sink = try SMTPSink([]) else { return }
        let server = try await MailEndToEndTests.server(smtpPort: sink.port)
        defer { _ = server.stop() }
        let cli = CLITests.CLI(server: server.base)
        #expect(try cli("register", "--email", "lea@example.com").status == 0)
        #expect(try cli("whoami").stdout == "lea@example.com (user, address not confirmed yet)\n")
        let welcome = try #require(try await MailEndToEndTests.messages(sink, count: 1).first)
        let text = SMTPSink.parts(welcome).first ?? ""
        let link = try #require(text.split(whereSeparator: \.isWhitespace).first { $0.contains("#/verify-email?token=") })
        let verified = try cli("verify-email", "--token", String(link))
        #expect(verified.status == 0 && verified.stdout == "Address confirmed.\n", "\(verified.stderr)")
        let again = try cli("verify-email", "--token", String(link))
        #expect(again.status != 0 && again.stderr.contains("invalid, expired or already used"))
        #expect(try cli("whoami").stdout == "lea@example.com (user)\n")

        let asked = try cli("reset-password", "--email", "lea@example.com")
        #expect(asked.status == 0 && asked.stdout.contains("on its way"))
        let resetMail = try #require(try await MailEndToEndTests.messages(sink, count: 2).last)
        let token = try #require(MailEndToEndTests.token(resetMail, "reset-password"))
        let reset = try cli("reset-password", "--token", token, password: "brand new secret")
        #expect(reset.status == 0 && reset.stdout.contains("Log in again"), "\(reset.stderr)")
        #expect(try cli("login", "--email", "lea@example.com").status != 0)
        #expect(try cli("login", "--email", "lea@example.com", password: "brand new secret").status == 0)
        #expect(try cli("reset-password").status != 0)

        let started = try cli("start", "--notify", "--name", "nightly", "echo", "hi")
        #expect(started.status == 0, "\(started.stderr)")
        let notices = try await MailEndToEndTests.messages(sink, count: 4)
        let subjects = notices.compactMap { message in message.split(separator: "\r\n").first { $0.hasPrefix("Subject: ") } }
        #expect(notices.count == 4 && subjects.count == 4, "\(subjects)")
        // The fourth is the job's notice (the third the reset's): its text names the job.
        #expect(notices.contains { (SMTPSink.parts($0).first ?? "").contains("Your job nightly (echo) ended") })
    }
}
