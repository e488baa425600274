import Application
import Domain
import Foundation
import Hummingbird
import Ports

/// `GET /admin/audit` (admins: everyone's entries) and `GET /users/me/audit` (the
/// caller's own security events). Query: `actor` (admins), `action`, `since`, `until`
/// (RFC 3339), `limit` (1–100), `cursor`.
struct AuditController {
    let useCases: APIUseCases

    func everyone(_ request: Request, context: APIContext) async throws -> Response {
        try await page(request, context: context, everyone: true)
    }

    func mine(_ request: Request, context: APIContext) async throws -> Response {
        try await page(request, context: context, everyone: false)
    }

    private func page(_ request: Request, context: APIContext, everyone: Bool) async throws -> Response {
        let caller = try context.requireCaller()
        let query = request.uri.queryParameters
        var problems = ValidationCollector()
        var filters = ListAuditEntries.Filters()
        if let text = query["actor"].map(String.init) {
            if !everyone {
                problems.add("actor", "is an admin's filter (GET /admin/audit)")
            } else if let uuid = UUID(canonical: text) {
                filters.actor = UserID(uuid)
            } else {
                problems.add("actor", "must be a user id (a UUID)")
            }
        }
        filters.action = query["action"].map(String.init)
        for (name, keyPath) in [("since", \ListAuditEntries.Filters.since), ("until", \ListAuditEntries.Filters.until)] {
            guard let text = query[name[...]].map(String.init) else { continue }
            if let date = Timestamp.parse(text) {
                filters[keyPath: keyPath] = date
            } else {
                problems.add(name, "must be an RFC 3339 time such as 2026-01-31T12:00:00Z")
            }
        }
        var limit: Int?
        if let text = query["limit"].map(String.init) {
            limit = Int(text)
            if limit == nil { problems.add("limit", "must be 1 to 100") }
        }
        do { try problems.throwIfAny() } catch { throw APIError.invalid(error) }
        let page = try await useCases.auditEntries(
            caller: caller, everyone: everyone, filters: filters, limit: limit, cursor: query["cursor"].map(String.init))
        return try Responses.json(
            AuditPageRepresentation(
                entries: page.entries.map(AuditEntryRepresentation.init),
                nextCursor: page.nextCursor))
    }
}

struct AuditPageRepresentation: Encodable {
    let entries: [AuditEntryRepresentation]
    let nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case entries
        case nextCursor = "next_cursor"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(entries, forKey: .entries)
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}

/// One entry: every member present, null when it does not apply.
struct AuditEntryRepresentation: Encodable {
    let entry: AuditEntry

    enum CodingKeys: String, CodingKey {
        case sequence, at, action, outcome, subject, details, hash
        case actorID = "actor_id"
        case accountID = "account_id"
        case clientAddress = "client_address"
        case requestID = "request_id"
    }

    func encode(to encoder: any Encoder) throws {
        let record = entry.record
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(entry.sequence, forKey: .sequence)
        try container.encode(Timestamp.format(record.occurredAt), forKey: .at)
        try container.encode(record.action.name, forKey: .action)
        try container.encode(record.outcome.rawValue, forKey: .outcome)
        try container.encode(record.actorID?.description, forKey: .actorID)
        try container.encode(record.accountID?.description, forKey: .accountID)
        try container.encode(record.subject, forKey: .subject)
        try container.encode(record.context.clientAddress, forKey: .clientAddress)
        try container.encode(record.context.requestID, forKey: .requestID)
        try container.encode(record.details, forKey: .details)
        try container.encode(entry.hash.map { String(format: "%02x", $0) }.joined(), forKey: .hash)
    }
}
