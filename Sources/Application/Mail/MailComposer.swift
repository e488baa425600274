public import Domain
import Foundation
public import Ports

/// Makes the message a queued mail stands for: picks its template, signs its links (now,
/// just before sending, so no link sits in the queue) and fills the placeholders. Every
/// value is cleaned of control characters and bounded; in HTML it is escaped.
public struct MailComposer: Sendable {
    let links: any LinkTokens
    let settings: MailSettings

    public init(links: any LinkTokens, settings: MailSettings) {
        self.links = links
        self.settings = settings
    }

    /// What to send, or why not to.
    public enum Composition: Hashable, Sendable {
        case send(OutgoingMail)
        case drop(reason: String)
    }

    public func compose(_ mail: MailDraft, user: User, job: Job?) -> Composition {
        var values: [String: String] = [
            "product": settings.productName, "email": user.email.value,
            "address": mail.details["address"] ?? "an unknown address",
            "time": Self.timestamp(mail.createdAt),
            "reset_link": settings.link("forgot-password"), "security_link": settings.link("security"),
        ]
        let template: MailTemplate
        switch mail.kind {
        case .welcome:
            if user.emailVerifiedAt != nil {
                template = MailTemplates.welcomeConfirmed
            } else {
                let expires = mail.createdAt.addingTimeInterval(Double(settings.verifyLinkSeconds))
                let token = links.make(
                    LinkClaims(purpose: .verifyEmail, account: user.id, expiresAt: expires), binding: user.email.value)
                values["link"] = settings.link("verify-email?token=\(token)")
                values["expires"] = Self.timestamp(expires)
                template = MailTemplates.welcome
            }
        case .passwordReset:
            let expires = mail.notAfter ?? mail.createdAt.addingTimeInterval(Double(settings.resetLinkSeconds))
            let token = links.make(
                LinkClaims(purpose: .resetPassword, account: user.id, expiresAt: expires),
                binding: user.passwordHash.encoded)
            values["link"] = settings.link("reset-password?token=\(token)")
            values["expires"] = Self.timestamp(expires)
            template = MailTemplates.passwordReset
        case .passwordChanged:
            values["how"] = mail.details["how"] == "reset" ? "reset by a mailed link" : "changed"
            template = MailTemplates.passwordChanged
        case .mfaChanged:
            values["change"] = mail.details["change"] ?? "changed"
            template = MailTemplates.mfaChanged
        case .newLoginAddress:
            template = MailTemplates.newLoginAddress
        case .jobFinished:
            guard let job else { return .drop(reason: "the job is gone") }
            values["job"] = job.name ?? job.id.description
            values["command"] = job.command
            values["status"] = job.status.rawValue
            values["time"] = Self.timestamp(job.finishedAt ?? mail.createdAt)
            values["outcome"] =
                if let code = job.exitCode { ", exit code \(code)" } else if let failure = job.failure {
                    ", \(failure.code.rawValue)"
                } else { "" }
            values["job_link"] = settings.link("jobs/\(job.id)")
            template = MailTemplates.jobFinished
        }
        let clean = values.mapValues { Self.clean($0) }
        let subject = Self.fill(template.subject, clean, escape: false)
        return .send(
            OutgoingMail(
                id: mail.id, to: user.email, subject: subject,
                text: Self.fill(template.text, clean, escape: false)
                    + MailTemplates.textSignature(productName: clean["product"] ?? ""),
                html: MailTemplates.htmlPage(
                    title: Self.escapeHTML(subject), content: Self.fill(template.html, clean, escape: true),
                    productName: Self.escapeHTML(clean["product"] ?? "")),
                kind: mail.kind.rawValue))
    }

    static func fill(_ template: String, _ values: [String: String], escape: Bool) -> String {
        var result = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                rest = rest[open.lowerBound...]
                break
            }
            let name = String(rest[open.upperBound..<close.lowerBound])
            let value = values[name] ?? ""
            result += escape ? escapeHTML(value) : value
            rest = rest[close.upperBound...]
        }
        return result + rest
    }

    /// Control characters out (no line a value could add), at most 300 bytes.
    static func clean(_ value: String) -> String {
        let kept = String(String.UnicodeScalarView(value.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
        return String(OutputText.prefix(kept, maxBytes: 300))
    }

    static func escapeHTML(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date).replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: " UTC")
    }
}
