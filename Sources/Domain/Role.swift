/// What an account may do. Every registration is `user`; only an operator (or the
/// bootstrap rule) makes an `admin` or a `viewer`.
public enum Role: String, Sendable, Codable, CaseIterable {
    case admin, user, viewer

    /// Create jobs and stop one's own.
    public var mayCreateJobs: Bool { self != .viewer }
    /// Read and stop every user's jobs, and list with `owner=all`.
    public var maySeeAllJobs: Bool { self == .admin }

    /// Whether a caller with this role may see (and so act on) a job owned by `owner`.
    /// Another user's job is reported as absent, never as forbidden.
    public func maySee(jobOwnedBy owner: UserID, caller: UserID) -> Bool {
        maySeeAllJobs || owner == caller
    }
}

/// The first admin of a fresh deployment: the account registered with the configured
/// email becomes admin, as long as no admin exists yet. The "no admin yet" half must
/// be decided atomically by the repository; this rule says who is eligible.
public struct BootstrapAdminRule: Sendable {
    public let email: Email?
    public init(email: Email?) { self.email = email }

    public func isEligible(_ candidate: Email) -> Bool { email == candidate }
}
