public import Foundation

/// What an audit entry records: a dotted name, stored as text so that an entry written by
/// a newer build still reads (and verifies) in an older one.
public struct AuditAction: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    public init(_ name: String) { self.name = name }
    public var description: String { name }

    public static let registered = AuditAction("account.registered")
    public static let passwordChanged = AuditAction("account.password_changed")
    public static let roleChanged = AuditAction("account.role_changed")
    public static let loginSucceeded = AuditAction("login.succeeded")
    public static let loginFailed = AuditAction("login.failed")
    public static let logout = AuditAction("session.logout")
    public static let logoutAll = AuditAction("session.logout_all")
    public static let refreshTokenReused = AuditAction("session.refresh_token_reused")
    public static let jobStoppedByAdmin = AuditAction("job.stopped_by_admin")
    public static let mfaEnabled = AuditAction("mfa.enabled")
    public static let mfaDisabled = AuditAction("mfa.disabled")
    public static let mfaFailed = AuditAction("mfa.failed")
    public static let recoveryCodeUsed = AuditAction("mfa.recovery_code_used")
    public static let passwordResetRequested = AuditAction("account.password_reset_requested")
    public static let passwordReset = AuditAction("account.password_reset")
    public static let emailVerified = AuditAction("account.email_verified")

    /// Every action this build writes, for filters and the docs.
    public static let known: [AuditAction] = [
        .registered, .passwordChanged, .roleChanged, .loginSucceeded, .loginFailed, .logout, .logoutAll,
        .refreshTokenReused, .jobStoppedByAdmin, .mfaEnabled, .mfaDisabled, .mfaFailed, .recoveryCodeUsed,
        .passwordResetRequested, .passwordReset, .emailVerified,
    ]
}

public enum AuditOutcome: String, Hashable, Sendable {
    case success
    case failure
}

/// Where a request came from, as the HTTP layer resolved it. Both values are bounded and
/// cleaned here, whatever the caller hands in: they come from headers a client controls.
public struct AuditContext: Hashable, Sendable {
    public static let maxBytes = 128
    public let clientAddress: String?
    public let requestID: String?

    public init(clientAddress: String? = nil, requestID: String? = nil) {
        self.clientAddress = clientAddress.map(Self.bounded)
        self.requestID = requestID.map(Self.bounded)
    }

    /// An action with no request behind it (a command-line tool, a background task).
    public static let none = AuditContext()

    static func bounded(_ text: String) -> String {
        String(OutputText.prefix(AuditRecord.clean(text), maxBytes: maxBytes))
    }
}

/// One security-relevant event, before it has its place in the chain.
public struct AuditRecord: Hashable, Sendable {
    /// Microseconds since 1970: the precision PostgreSQL keeps, so that the entry read back
    /// hashes exactly as the one written.
    public let occurredAtMicros: Int64
    public let action: AuditAction
    public let outcome: AuditOutcome
    /// Who did it (nil: an anonymous client, or an operator's command).
    public let actorID: UserID?
    /// The account the event concerns: what `GET /users/me/audit` selects on.
    public let accountID: UserID?
    /// What was acted on beyond the account, e.g. `session:<id>` or `job:<id>`.
    public let subject: String?
    public let context: AuditContext
    /// A few bounded strings (never a password, token or code).
    public let details: [String: String]

    public static let maxDetails = 8
    public static let maxDetailBytes = 256

    public init(
        at date: Date, action: AuditAction, outcome: AuditOutcome = .success, actor: UserID?, account: UserID?,
        subject: String? = nil, context: AuditContext, details: [String: String] = [:]
    ) {
        self.init(
            occurredAtMicros: Self.micros(date), action: action, outcome: outcome, actor: actor, account: account,
            subject: subject, context: context, details: details)
    }

    public init(
        occurredAtMicros: Int64, action: AuditAction, outcome: AuditOutcome, actor: UserID?, account: UserID?,
        subject: String?, context: AuditContext, details: [String: String]
    ) {
        self.occurredAtMicros = occurredAtMicros
        self.action = action
        self.outcome = outcome
        self.actorID = actor
        self.accountID = account
        self.subject = subject.map { Self.bounded($0, Self.maxDetailBytes) }
        self.context = context
        var kept: [String: String] = [:]
        for key in details.keys.sorted().prefix(Self.maxDetails) {
            kept[Self.bounded(key, 64)] = Self.bounded(details[key] ?? "", Self.maxDetailBytes)
        }
        self.details = kept
    }

    public var occurredAt: Date { Date(timeIntervalSince1970: Double(occurredAtMicros) / 1_000_000) }

    public static func micros(_ date: Date) -> Int64 {
        let value = (date.timeIntervalSince1970 * 1_000_000).rounded()
        guard value.isFinite, abs(value) < 9.2e18 else { return value > 0 ? Int64.max : Int64.min }
        return Int64(value)
    }

    static func bounded(_ text: String, _ maxBytes: Int) -> String {
        String(OutputText.prefix(clean(text), maxBytes: maxBytes))
    }

    /// NUL and other control characters out: PostgreSQL's `text` refuses NUL, and a log
    /// line or a terminal should not be steered by what a client put in a header.
    static func clean(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
    }

    /// The bytes an entry's hash covers (after the previous hash and the sequence number):
    /// every field in a fixed order, each as `<byte count>:<bytes>\n`, an absent one as
    /// `-\n`, then the details sorted by key. Unambiguous whatever the fields contain.
    public var canonicalBytes: [UInt8] {
        var bytes: [UInt8] = []
        func field(_ value: String?) {
            guard let value else {
                bytes.append(contentsOf: Array("-\n".utf8))
                return
            }
            bytes.append(contentsOf: Array("\(value.utf8.count):".utf8))
            bytes.append(contentsOf: Array(value.utf8))
            bytes.append(0x0A)
        }
        field("audit-v1")
        field(String(occurredAtMicros))
        field(action.name)
        field(outcome.rawValue)
        field(actorID?.description)
        field(accountID?.description)
        field(subject)
        field(context.clientAddress)
        field(context.requestID)
        field(String(details.count))
        for key in details.keys.sorted() {
            field(key)
            field(details[key])
        }
        return bytes
    }
}

/// An entry as stored: its record, its place and the hash that chains it to the one before.
public struct AuditEntry: Hashable, Sendable {
    public let sequence: Int64
    public let record: AuditRecord
    /// SHA-256 over the previous entry's hash, `sequence` (8 bytes, big-endian) and
    /// `record.canonicalBytes`.
    public let hash: [UInt8]

    public init(sequence: Int64, record: AuditRecord, hash: [UInt8]) {
        self.sequence = sequence
        self.record = record
        self.hash = hash
    }
}

extension AuditRecord {
    /// A spent refresh token came back: the session was revoked as stolen.
    public static func refreshTokenReused(_ session: Session, at now: Date, context: AuditContext) -> AuditRecord {
        AuditRecord(
            at: now, action: .refreshTokenReused, outcome: .failure, actor: nil, account: session.userID,
            subject: "session:\(session.id)", context: context, details: ["revoked_session": session.id.description])
    }
}

extension AuditRecord {
    /// A new account, as stored (its role is the one it got).
    public static func registration(of user: User, context: AuditContext) -> AuditRecord {
        AuditRecord(
            at: user.createdAt, action: .registered, actor: user.id, account: user.id, context: context,
            details: ["email": user.email.value, "role": user.role.rawValue])
    }

    /// A role changed; `actor` nil when an operator's command did it (`by` says which).
    public static func roleChange(
        from previous: Role, to user: User, by actor: UserID?, via: String, context: AuditContext
    ) -> AuditRecord {
        AuditRecord(
            at: user.updatedAt, action: .roleChanged, actor: actor, account: user.id, context: context,
            details: ["from": previous.rawValue, "to": user.role.rawValue, "via": via])
    }
}
