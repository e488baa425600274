public import Domain
public import Foundation
public import Ports

/// Pages of the audit trail, newest first: an account's own security events, or (for
/// admins) everyone's, filtered by actor, action and time.
public struct ListAuditEntries: Sendable {
    let trail: any AuditTrail

    public init(trail: any AuditTrail) { self.trail = trail }

    public struct Filters: Sendable {
        public var actor: UserID?
        public var action: String?
        public var since: Date?
        public var until: Date?
        public init(actor: UserID? = nil, action: String? = nil, since: Date? = nil, until: Date? = nil) {
            self.actor = actor
            self.action = action
            self.since = since
            self.until = until
        }
    }

    public struct Page: Sendable {
        public let entries: [AuditEntry]
        public let nextCursor: String?
    }

    public static let limits = 1...100
    public static let defaultLimit = 50

    /// `everyone` false: the caller's own events (done by them or concerning their account).
    public func callAsFunction(
        caller: AccessClaims, everyone: Bool, filters: Filters, limit: Int?, cursor: String?
    ) async throws -> Page {
        if everyone && caller.role != .admin { throw UseCaseError.forbidden("only admins may read the audit trail") }
        let limit = limit ?? Self.defaultLimit
        var problems = ValidationCollector()
        if !Self.limits.contains(limit) { problems.add("limit", "must be 1 to 100") }
        let before = cursor.flatMap(Self.decodeCursor)
        if cursor != nil && before == nil { problems.add("cursor", "is not a cursor this server issued") }
        if let action = filters.action, !Self.isActionName(action) {
            problems.add("action", "must be an action name such as login.failed")
        }
        if let since = filters.since, let until = filters.until, since >= until {
            problems.add("until", "must be later than since")
        }
        do { try problems.throwIfAny() } catch { throw UseCaseError.invalid(error) }

        let query = AuditQuery(
            involving: everyone ? nil : caller.userID, actor: filters.actor, action: filters.action.map(AuditAction.init),
            since: filters.since, until: filters.until, before: before, limit: limit + 1)
        let found = try await trail.entries(query)
        let page = Array(found.prefix(limit))
        let next = found.count > limit ? page.last.map { String($0.sequence) } : nil
        return Page(entries: page, nextCursor: next)
    }

    /// A cursor is the sequence number of the last entry of the page before.
    static func decodeCursor(_ text: String) -> Int64? {
        guard (1...19).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            let value = Int64(text), value > 0
        else { return nil }
        return value
    }

    static func isActionName(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count)
            && text.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || $0 == 46 || $0 == 95 || ($0 >= 48 && $0 <= 57) }
    }
}
