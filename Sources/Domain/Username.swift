/// An optional display name: 3 to 32 characters of `[A-Za-z0-9_.-]`.
public struct Username: Hashable, Sendable, Codable, CustomStringConvertible {
    public let value: String
    public var description: String { value }

    public init(_ raw: String) throws(ValidationFailure) {
        let allowed = raw.unicodeScalars.allSatisfy { scalar in
            (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z")
                || (scalar >= "0" && scalar <= "9") || scalar == "_" || scalar == "." || scalar == "-"
        }
        guard (3...32).contains(raw.unicodeScalars.count), allowed else {
            throw ValidationFailure(field: "username", "must be 3 to 32 characters of A-Z, a-z, 0-9, '_', '.', '-'")
        }
        value = raw
    }

    public init(trusted value: String) { self.value = value }
}
