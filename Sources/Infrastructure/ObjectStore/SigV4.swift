import Crypto
import Foundation

/// AWS Signature Version 4 for S3 (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html):
/// the canonical request, the string to sign and the derived key, for header-signed
/// requests and for presigned URLs. Checked against AWS's published examples.
struct SigV4: Sendable {
    let accessKey: String
    let secretKey: String
    let region: String
    let service = "s3"

    /// The hash of an empty body, and the marker of a body that is not signed (presigned URLs).
    static let emptyPayloadHash = SHA256.hash(data: [UInt8]()).hexString
    static let unsignedPayload = "UNSIGNED-PAYLOAD"

    struct Signed {
        /// Headers to send (lower-case names), `authorization` included.
        let headers: [(String, String)]
    }

    /// Signs a request: `path` is already encoded (`/bucket/a%20b`), `query` unencoded
    /// pairs, `headers` those to sign besides the ones added here (`host`,
    /// `x-amz-date`, `x-amz-content-sha256`).
    func sign(
        method: String, host: String, path: String, query: [(String, String)], headers: [(String, String)],
        payloadHash: String, date: Date
    ) -> Signed {
        let (amzDate, day) = Self.stamps(date)
        var all = headers.map { ($0.0.lowercased(), Self.trim($0.1)) }
        all += [("host", host), ("x-amz-date", amzDate), ("x-amz-content-sha256", payloadHash)]
        all.sort { $0.0 < $1.0 }
        let signedHeaders = all.map(\.0).joined(separator: ";")
        let canonical = [
            method, path, Self.canonicalQuery(query), all.map { "\($0.0):\($0.1)\n" }.joined(), signedHeaders, payloadHash,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let signature = self.signature(canonical: canonical, amzDate: amzDate, day: day, scope: scope)
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(accessKey)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return Signed(headers: all.filter { $0.0 != "host" } + [("authorization", authorization)])
    }

    /// A presigned GET: the query string to append to `path` (host signed, body unsigned).
    func presignedQuery(host: String, path: String, expiresIn seconds: Int, date: Date) -> String {
        let (amzDate, day) = Self.stamps(date)
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let query = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", "\(accessKey)/\(scope)"),
            ("X-Amz-Date", amzDate), ("X-Amz-Expires", String(seconds)), ("X-Amz-SignedHeaders", "host"),
        ]
        let canonical = ["GET", path, Self.canonicalQuery(query), "host:\(host)\n", "host", Self.unsignedPayload]
            .joined(separator: "\n")
        let signature = self.signature(canonical: canonical, amzDate: amzDate, day: day, scope: scope)
        return Self.canonicalQuery(query) + "&X-Amz-Signature=" + signature
    }

    private func signature(canonical: String, amzDate: String, day: String, scope: String) -> String {
        let toSign = ["AWS4-HMAC-SHA256", amzDate, scope, SHA256.hash(data: Array(canonical.utf8)).hexString]
            .joined(separator: "\n")
        var key = SymmetricKey(data: Array("AWS4\(secretKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return Array(HMAC<SHA256>.authenticationCode(for: Array(toSign.utf8), using: key)).hex
    }

    static func canonicalQuery(_ pairs: [(String, String)]) -> String {
        let encoded: [(name: String, value: String)] = pairs.map { (encode($0.0), encode($0.1)) }
        let sorted = encoded.sorted { left, right in
            left.name == right.name ? left.value < right.value : left.name < right.name
        }
        return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    /// RFC 3986 percent-encoding of everything but the unreserved characters (and `/`
    /// when `slash` is false: the separators of an object key's path).
    static func encode(_ text: String, encodeSlash: Bool = true) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                encoded.append(Character(UnicodeScalar(byte)))
            case UInt8(ascii: "/") where !encodeSlash:
                encoded.append("/")
            default:
                encoded += String(format: "%%%02X", byte)
            }
        }
        return encoded
    }

    static func trim(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    static func stamps(_ date: Date) -> (amzDate: String, day: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let day = String(format: "%04d%02d%02d", c.year!, c.month!, c.day!)
        return (day + String(format: "T%02d%02d%02dZ", c.hour!, c.minute!, c.second!), day)
    }
}

extension SHA256.Digest {
    /// Lower-case hexadecimal, as SigV4 and the stored objects' checksums write it.
    var hexString: String { Array(self).hex }
}
