/// One rule a field broke, in words a client can show.
public struct FieldIssue: Hashable, Sendable {
    public let field: String
    public let message: String
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// Input that breaks a domain rule. Carries every broken rule, not just the first,
/// so that a client can fix a form in one round trip.
public struct ValidationFailure: Error, Hashable, Sendable {
    public let issues: [FieldIssue]
    public init(_ issues: [FieldIssue]) { self.issues = issues }
    public init(field: String, _ message: String) { self.issues = [FieldIssue(field: field, message: message)] }

    /// A one-line summary, e.g. `password must be 8 to 72 bytes`.
    public var summary: String {
        issues.map { "\($0.field) \($0.message)" }.joined(separator: "; ")
    }
}

/// Collects issues while several fields are checked.
public struct ValidationCollector: Sendable {
    public private(set) var issues: [FieldIssue] = []
    public init() {}
    public mutating func add(_ field: String, _ message: String) {
        issues.append(FieldIssue(field: field, message: message))
    }
    /// Runs a validating expression, recording its failure instead of throwing.
    public mutating func check<T>(_ body: () throws(ValidationFailure) -> T) -> T? {
        do { return try body() } catch {
            issues.append(contentsOf: error.issues)
            return nil
        }
    }
    public func throwIfAny() throws(ValidationFailure) {
        if !issues.isEmpty { throw ValidationFailure(issues) }
    }
}

extension StringProtocol {
    /// NUL is refused in every string field: C libraries (bcrypt among them) would
    /// silently cut the value there.
    public var containsNUL: Bool { utf8.contains(0) }
}
