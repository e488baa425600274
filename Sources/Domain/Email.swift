/// An email address, trimmed and lower-cased, so that comparisons are case-insensitive.
/// The check is deliberately pragmatic: one `@`, a non-empty local part, a dotted
/// domain of letters, digits and hyphens, no spaces or control characters.
public struct Email: Hashable, Sendable, Codable, CustomStringConvertible {
    public let value: String
    public var description: String { value }

    public init(_ raw: String) throws(ValidationFailure) {
        let normalised = raw.trimmingWhitespace().lowercased()
        guard Email.isValid(normalised) else {
            throw ValidationFailure(field: "email", "must be a valid email address")
        }
        value = normalised
    }

    /// For values read back from storage, which were validated when written.
    public init(trusted value: String) { self.value = value }

    static func isValid(_ text: String) -> Bool {
        guard text.utf8.count <= 254, !text.containsNUL else { return false }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let local = parts[0]
        let domain = parts[1]
        guard !local.isEmpty, local.utf8.count <= 64 else { return false }
        guard local.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 && !"()<>,;:\\\"[]".unicodeScalars.contains($0) })
        else { return false }
        guard !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        return labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "-" }
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[start...end])
    }
}
