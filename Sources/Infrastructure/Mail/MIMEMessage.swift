import Domain
import Foundation
import Ports

/// The RFC 5322 / MIME form of a message: `multipart/alternative` with a plain-text and
/// an HTML part, both UTF-8 in base64 (lines of 76), a `Subject` in RFC 2047 encoding
/// when it is not ASCII. Lines end in CRLF; `SMTPClient` dot-stuffs when it sends.
enum MIMEMessage {
    static func render(_ mail: OutgoingMail, from: String, fromName: String, date: Date, domain: String) -> String {
        let boundary = "cloudtask-" + mail.id.uuidString.lowercased()
        var lines = [
            "From: \(encodedWord(fromName)) <\(from)>",
            "To: <\(mail.to.value)>",
            "Subject: \(encodedWord(mail.subject))",
            "Date: \(rfc5322(date))",
            "Message-ID: <\(mail.id.uuidString.lowercased())@\(domain)>",
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
            "",
        ]
        for (type, body) in [("text/plain", mail.text), ("text/html", mail.html)] {
            lines += [
                "--\(boundary)", "Content-Type: \(type); charset=utf-8", "Content-Transfer-Encoding: base64", "",
            ]
            lines += base64Lines(Array(body.utf8))
        }
        lines.append("--\(boundary)--")
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// ASCII without control characters stays as it is; anything else is `=?utf-8?B?…?=`.
    static func encodedWord(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        return "=?utf-8?B?" + Data(text.utf8).base64EncodedString() + "?="
    }

    static func base64Lines(_ bytes: [UInt8]) -> [String] {
        let encoded = Array(Data(bytes).base64EncodedString().utf8)
        return stride(from: 0, to: encoded.count, by: 76).map {
            String(decoding: encoded[$0..<min($0 + 76, encoded.count)], as: UTF8.self)
        }
    }

    static func rfc5322(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
