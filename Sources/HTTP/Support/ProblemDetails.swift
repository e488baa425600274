import Foundation
import HTTPTypes

/// An RFC 9457 problem: what every error response carries.
struct ProblemDetails: Sendable {
    var status: HTTPResponse.Status
    var slug: String
    var title: String
    var detail: String?
    var errors: [(field: String, message: String)] = []
    var headers: HTTPFields = [:]
    /// Extension members (RFC 9457 §3.2) after the standard ones, e.g. `mfa_token`.
    var extensions: [(name: String, value: JSONScalar)] = []

    enum JSONScalar: Sendable {
        case string(String)
        case int(Int)
    }

    /// The JSON body. Written by hand: field order is stable and `errors` appears only
    /// when there are field errors.
    func body(instance: String, requestID: String) -> String {
        var members = [
            "\"type\":" + JSONText.quote("https://cloudtask.dev/problems/\(slug)"),
            "\"title\":" + JSONText.quote(title),
            "\"status\":\(status.code)",
        ]
        if let detail { members.append("\"detail\":" + JSONText.quote(detail)) }
        members.append("\"instance\":" + JSONText.quote(instance))
        members.append("\"request_id\":" + JSONText.quote(requestID))
        if !errors.isEmpty {
            let items = errors.map { "{\"field\":\(JSONText.quote($0.field)),\"message\":\(JSONText.quote($0.message))}" }
            members.append("\"errors\":[" + items.joined(separator: ",") + "]")
        }
        for (name, value) in extensions {
            switch value {
            case .string(let text): members.append(JSONText.quote(name) + ":" + JSONText.quote(text))
            case .int(let number): members.append(JSONText.quote(name) + ":\(number)")
            }
        }
        return "{" + members.joined(separator: ",") + "}"
    }
}

/// JSON string escaping for hand-written bodies.
enum JSONText {
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
