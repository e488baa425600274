import Crypto
import Domain
public import Foundation
public import Ports

/// RFC 6238 codes: HMAC-SHA1 over the 30-second step count, dynamically truncated to six
/// digits; what every authenticator app computes by default. Written here (a page of
/// code, checked against the RFC's test vectors) rather than taken from
/// hummingbird-auth's OTP module, whose secrets are `String`s (bytes must be valid UTF-8)
/// and which would bring Hummingbird into this target.
public struct TOTPCodes: OneTimeCodes {
    public static let stepSeconds: Int64 = 30
    public static let digits = 6
    /// Steps accepted either side of now: a phone's clock may be a little off.
    public static let window: Int64 = 1

    public init() {}

    public func newSecret() -> TOTPSecret { TOTPSecret(secureRandomBytes(20)) }

    public func step(at date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 / Double(Self.stepSeconds)).rounded(.down))
    }

    public func code(secret: TOTPSecret, step: Int64) -> String {
        var counter = UInt64(bitPattern: step).bigEndian
        let message = withUnsafeBytes(of: &counter) { Array($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret.bytes)))
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let value =
            (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8)
            | UInt32(mac[offset + 3])
        let text = String(value % 1_000_000)
        return String(repeating: "0", count: Self.digits - text.count) + text
    }

    public func code(secret: TOTPSecret, at date: Date) -> String { code(secret: secret, step: step(at: date)) }

    public func matchingStep(_ code: String, secret: TOTPSecret, at now: Date) -> Int64? {
        // Six ASCII digits, spaces allowed between (apps show "123 456").
        let digits = Array(code.utf8.filter { $0 != 0x20 })
        guard digits.count == Self.digits, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let current = step(at: now)
        var matched: Int64?
        // Every candidate is computed and compared in constant time: how long this takes
        // does not say which step (if any) matched.
        for candidate in (current - Self.window)...(current + Self.window) {
            let expected = Array(self.code(secret: secret, step: candidate).utf8)
            var difference: UInt8 = 0
            for index in 0..<Self.digits { difference |= expected[index] ^ digits[index] }
            if difference == 0 && matched == nil { matched = candidate }
        }
        return matched
    }

    public func provisioningURI(secret: TOTPSecret, account: String, issuer: String) -> String {
        let label = Self.percentEncoded(issuer + ":" + account)
        return "otpauth://totp/\(label)?secret=\(displayed(secret))&issuer=\(Self.percentEncoded(issuer))"
            + "&algorithm=SHA1&digits=\(Self.digits)&period=\(Self.stepSeconds)"
    }

    public func displayed(_ secret: TOTPSecret) -> String { Base32.encode(secret.bytes) }

    /// Unreserved characters (RFC 3986) as they are, everything else percent-encoded.
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let unreserved =
                (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
            if unreserved {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
