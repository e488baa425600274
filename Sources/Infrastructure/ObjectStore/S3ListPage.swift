import Foundation
import Ports

/// The few elements the S3 adapter reads from S3's XML answers, found by name: a
/// `ListBucketResult` page, an `UploadId`, an error `Code`. S3's documents are flat
/// enough that this needs no XML parser (and so no libxml2 at run time).
struct S3ListPage {
    let objects: [ObjectSummary]
    let nextToken: String?

    init(xml: String) {
        var objects: [ObjectSummary] = []
        var rest = Substring(xml)
        while let open = rest.range(of: "<Contents>"), let close = rest[open.upperBound...].range(of: "</Contents>") {
            let entry = String(rest[open.upperBound..<close.lowerBound])
            if let key = Self.element("Key", in: entry), let size = Self.element("Size", in: entry).flatMap(Int64.init) {
                // An entry whose date is missing or unreadable is taken as never old:
                // retention deletes only what it can date.
                let modified = Self.element("LastModified", in: entry).flatMap(WireTime.parse) ?? .distantFuture
                objects.append(ObjectSummary(key: key, size: size, modified: modified))
            }
            rest = rest[close.upperBound...]
        }
        self.objects = objects
        nextToken = Self.element("IsTruncated", in: xml) == "true" ? Self.element("NextContinuationToken", in: xml) : nil
    }

    /// The text of the first `<name>…</name>`, entities decoded.
    static func element(_ name: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(name)>"), let close = xml[open.upperBound...].range(of: "</\(name)>") else {
            return nil
        }
        return unescape(String(xml[open.upperBound..<close.lowerBound]))
    }

    static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var result = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            result += rest[..<amp]
            guard let semicolon = rest[amp...].firstIndex(of: ";"), rest.distance(from: amp, to: semicolon) <= 10,
                rest[rest.index(after: amp)..<semicolon].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "#" })
            else {
                result += "&"
                rest = rest[rest.index(after: amp)...]
                continue
            }
            let entity = String(rest[rest.index(after: amp)..<semicolon])
            switch entity {
            case "amp": result += "&"
            case "lt": result += "<"
            case "gt": result += ">"
            case "quot": result += "\""
            case "apos": result += "'"
            default:
                if entity.hasPrefix("#x"), let value = UInt32(entity.dropFirst(2), radix: 16), let scalar = UnicodeScalar(value) {
                    result.unicodeScalars.append(scalar)
                } else if entity.hasPrefix("#"), let value = UInt32(entity.dropFirst()), let scalar = UnicodeScalar(value) {
                    result.unicodeScalars.append(scalar)
                } else {
                    result += "&\(entity);"
                }
            }
            rest = rest[rest.index(after: semicolon)...]
        }
        return result + rest
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
