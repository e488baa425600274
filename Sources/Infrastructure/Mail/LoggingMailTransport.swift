import Domain
public import Logging
public import Ports

/// What mail does when no server is configured (`CLOUDTASK_SMTP_URL` unset): each
/// message is written to the log, text body included, so a developer can follow its
/// links. It never fails. Not for production: the log then holds live reset links.
public struct LoggingMailTransport: MailTransport {
    let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public func send(_ mail: OutgoingMail) async throws {
        logger.notice(
            "mail not sent (CLOUDTASK_SMTP_URL is not set); its text follows",
            metadata: [
                "mail_id": "\(mail.id)", "kind": "\(mail.kind)", "to": "\(mail.to.value)", "subject": "\(mail.subject)",
                "text": "\(mail.text)",
            ])
    }
}
