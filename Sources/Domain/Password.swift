/// A plain-text password on its way to the hasher. bcrypt reads at most 72 bytes and
/// stops at NUL, so both limits are refused up front rather than silently applied.
public struct Password: Sendable {
    public let value: String

    public init(_ raw: String, field: String = "password") throws(ValidationFailure) {
        guard (8...72).contains(raw.utf8.count) else {
            throw ValidationFailure(field: field, "must be 8 to 72 bytes")
        }
        guard !raw.containsNUL else {
            throw ValidationFailure(field: field, "must not contain NUL characters")
        }
        value = raw
    }
}

/// A stored password hash (e.g. a bcrypt string). Opaque to everything but the hasher.
public struct PasswordHash: Hashable, Sendable, Codable {
    public let encoded: String
    public init(_ encoded: String) { self.encoded = encoded }
}
