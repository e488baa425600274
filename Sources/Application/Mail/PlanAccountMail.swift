import Domain
import Foundation
public import Ports

/// Turns audit entries into the account mail they call for. The audit trail is the
/// outbox of account mail: each audited change was written in one transaction with its
/// entry, and the queue reads the chain in order, so no change goes without its mail
/// and none is mailed twice.
public struct PlanAccountMail: Sendable {
    let queue: any MailQueue
    let audit: any AuditTrail
    let settings: MailSettings
    /// Entries read per step.
    let batch: Int

    public init(queue: any MailQueue, audit: any AuditTrail, settings: MailSettings, batch: Int = 200) {
        self.queue = queue
        self.audit = audit
        self.settings = settings
        self.batch = batch
    }

    /// Plans one batch; returns how many mails it queued.
    @discardableResult
    public func callAsFunction() async throws -> Int {
        let (audit, settings, batch) = (audit, settings, batch)
        return try await queue.plan { after in
            let entries = try await audit.chain(after: after, limit: batch)
            var drafts: [MailDraft] = []
            for entry in entries {
                if let draft = try await Self.draft(for: entry, audit: audit, settings: settings) { drafts.append(draft) }
            }
            return (drafts, entries.last?.sequence ?? after)
        }
    }

    static func draft(for entry: AuditEntry, audit: any AuditTrail, settings: MailSettings) async throws -> MailDraft? {
        let record = entry.record
        guard record.outcome == .success, let account = record.accountID else { return nil }
        let address = record.context.clientAddress
        var details: [String: String] = [:]
        if let address { details["address"] = address }
        func draft(_ kind: MailKind, notAfter: Date? = nil) -> MailDraft {
            MailDraft(
                id: Self.id(sequence: entry.sequence, kind: kind), kind: kind, accountID: account,
                auditSequence: entry.sequence, details: details, createdAt: record.occurredAt, notAfter: notAfter)
        }
        switch record.action {
        case .registered:
            return draft(.welcome)
        case .passwordResetRequested:
            return draft(.passwordReset, notAfter: record.occurredAt.addingTimeInterval(Double(settings.resetLinkSeconds)))
        case .passwordChanged:
            return draft(.passwordChanged)
        case .passwordReset:
            details["how"] = "reset"
            return draft(.passwordChanged)
        case .mfaEnabled:
            details["change"] = "turned on"
            return draft(.mfaChanged)
        case .mfaDisabled:
            details["change"] = "turned off"
            return draft(.mfaChanged)
        case .recoveryCodeUsed:
            details["change"] = "used with a recovery code"
            return draft(.mfaChanged)
        case .loginSucceeded:
            guard let address, try await !Self.seenBefore(address, account: account, before: entry.sequence, audit: audit)
            else { return nil }
            return draft(.newLoginAddress)
        default:
            return nil
        }
    }

    /// Whether the account registered or logged in from `address` before this entry
    /// (within the audit trail's retention, and its last 10,000 events: an account that
    /// busy is not mailed about an address it may have used long ago, rather than every
    /// planning pass reading its whole history).
    static func seenBefore(_ address: String, account: UserID, before sequence: Int64, audit: any AuditTrail) async throws
        -> Bool
    {
        var cursor = sequence
        // Newest first, a page at a time; a busy account finds a recent match quickly.
        for _ in 0..<50 {
            let page = try await audit.entries(AuditQuery(involving: account, before: cursor, limit: 200))
            for entry in page
            where entry.record.accountID == account && entry.record.outcome == .success
                && (entry.record.action == .loginSucceeded || entry.record.action == .registered)
                && entry.record.context.clientAddress == address
            {
                return true
            }
            guard page.count == 200, let last = page.last else { return false }
            cursor = last.sequence
        }
        return true
    }

    /// The same entry always plans the same mail id.
    static func id(sequence: Int64, kind: MailKind) -> UUID {
        var bytes = [UInt8](repeating: 0, count: 16)
        withUnsafeBytes(of: sequence.bigEndian) { for (index, byte) in $0.enumerated() { bytes[8 + index] = byte } }
        let tag = Array(kind.rawValue.utf8)
        for index in 0..<8 { bytes[index] = index < tag.count ? tag[index] : 0 }
        bytes[6] = (bytes[6] & 0x0F) | 0x80  // a custom (version 8) UUID
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
                bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }
}
