public import Domain
public import Foundation

/// One message to one recipient, as the mail queue holds it: text and HTML bodies
/// rendered from the templates, headers made safe by construction.
public struct OutgoingMail: Hashable, Sendable {
    public let id: UUID
    public let to: Email
    public let subject: String
    public let text: String
    public let html: String
    /// The template it was made from (`welcome`, `password_reset`, …), for logs and metrics.
    public let kind: String

    public init(id: UUID, to: Email, subject: String, text: String, html: String, kind: String) {
        self.id = id
        self.to = to
        // A header value: no line breaks (no header injection), bounded.
        self.subject = String(
            String(String.UnicodeScalarView(subject.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
                .prefix(200))
        self.text = text
        self.html = html
        self.kind = kind
    }
}

/// Why a message was not sent, as far as retrying is concerned.
public enum MailDeliveryError: Error, Hashable, Sendable {
    /// The server refused it for good (5xx): retrying will not help.
    case permanent(String)
    /// Unreachable, timed out, or a 4xx: try again later.
    case transient(String)
}

/// Hands messages to a mail server (or, unconfigured, to the log).
public protocol MailTransport: Sendable {
    /// Returns once the server has accepted the message; throws `MailDeliveryError`.
    func send(_ mail: OutgoingMail) async throws
}
