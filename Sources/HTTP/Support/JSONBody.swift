import Application
import Domain
import Foundation
import Hummingbird

/// Strict request bodies: JSON only (415 otherwise), an object with known fields only
/// (400 naming the unknown ones), right types (400 naming the field), no NUL anywhere.
enum JSONBody {
    /// Decodes the body as `T`, accepting only the `allowed` top-level fields. An empty
    /// body is `{}` when `emptyAllowed` (for endpoints whose every field is optional).
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, allowed: Set<String>, emptyAllowed: Bool = false)
        async throws -> T
    {
        var request = request
        let buffer = try await request.collectBody(upTo: .max)
        let data = Data(buffer.readableBytesView)
        if data.isEmpty {
            if emptyAllowed { return try JSONDecoder().decode(T.self, from: Data("{}".utf8)) }
            if request.headers[.contentType] == nil { throw APIError.malformedBody("a JSON body is required") }
        }
        guard isJSON(request.headers[.contentType]) else { throw APIError.unsupportedMediaType }
        // Foundation's parser is lenient (a trailing comma passes): the strict check decides.
        if let problem = StrictJSON.check(buffer.readableBytesView) {
            throw APIError.malformedBody("the body is not valid JSON (\(problem))")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data, options: []) else {
            throw APIError.malformedBody("the body is not valid JSON")
        }
        guard let fields = object as? [String: Any] else { throw APIError.malformedBody("the body must be a JSON object") }
        let unknown = fields.keys.filter { !allowed.contains($0) }.sorted()
        if !unknown.isEmpty { throw APIError.unknownFields(unknown) }
        if let field = firstNUL(in: fields, path: "") {
            throw APIError.invalid(ValidationFailure(field: field, "must not contain NUL characters"))
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw APIError.invalid(describe(error))
        }
    }

    /// `application/json`, optionally with `charset=utf-8`.
    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard parts.first == "application/json" else { return false }
        return parts.dropFirst().allSatisfy { $0 == "charset=utf-8" || $0 == "charset=\"utf-8\"" }
    }

    private static func firstNUL(in value: Any, path: String) -> String? {
        switch value {
        case let text as String:
            return text.utf8.contains(0) ? (path.isEmpty ? "body" : path) : nil
        case let object as [String: Any]:
            for (key, member) in object {
                if key.utf8.contains(0) { return path.isEmpty ? "body" : path }
                if let found = firstNUL(in: member, path: path.isEmpty ? key : "\(path).\(key)") { return found }
            }
            return nil
        case let array as [Any]:
            for (index, member) in array.enumerated() {
                if let found = firstNUL(in: member, path: "\(path)[\(index)]") { return found }
            }
            return nil
        default:
            return nil
        }
    }

    private static func describe(_ error: DecodingError) -> ValidationFailure {
        func path(_ keys: [any CodingKey]) -> String {
            var text = ""
            for key in keys {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return text.isEmpty ? "body" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return ValidationFailure(field: path(context.codingPath + [key]), "is required")
        case .valueNotFound(_, let context):
            return ValidationFailure(field: path(context.codingPath), "must not be null")
        case .typeMismatch(let type, let context):
            return ValidationFailure(field: path(context.codingPath), "must be \(describe(type))")
        case .dataCorrupted(let context):
            return ValidationFailure(field: path(context.codingPath), "has an invalid value")
        @unknown default:
            return ValidationFailure(field: "body", "is invalid")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is Bool.Type: "a boolean"
        case is [String].Type: "an array of strings"
        default: "of another type"
        }
    }
}
