public import Foundation

/// A user's identity. Distinct wrapper types keep a job id from being passed where a
/// user id is expected; all of them render as lower-case hyphenated UUIDs.
public struct UserID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let uuid: UUID
    public init(_ uuid: UUID) { self.uuid = uuid }
    public var description: String { uuid.uuidString.lowercased() }
}

/// A job's identity.
public struct JobID: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public let uuid: UUID
    public init(_ uuid: UUID) { self.uuid = uuid }
    public var description: String { uuid.uuidString.lowercased() }
    public static func < (lhs: JobID, rhs: JobID) -> Bool { lhs.description < rhs.description }
}

/// A login session: one per login, shared by every access and refresh token it yields.
public struct SessionID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let uuid: UUID
    public init(_ uuid: UUID) { self.uuid = uuid }
    public var description: String { uuid.uuidString.lowercased() }
}

extension UUID {
    /// Parses only the canonical 36-character hyphenated form (either case), so that
    /// brace-wrapped or truncated ids are refused rather than guessed at.
    public init?(canonical text: some StringProtocol) {
        guard text.utf8.count == 36, let uuid = UUID(uuidString: String(text)) else { return nil }
        self = uuid
    }
}
