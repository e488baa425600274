public import Domain

/// The rate-limit policies the API applies; `nil` means switched off.
public struct RateLimitPolicies: Sendable {
    public var login: RateLimitPolicy? = RateLimitPolicy(name: "login", limit: 5, windowSeconds: 900)
    public var auth: RateLimitPolicy? = RateLimitPolicy(name: "auth", limit: 10, windowSeconds: 900)
    public var api: RateLimitPolicy? = RateLimitPolicy(name: "api", limit: 600, windowSeconds: 60)
    public var jobsCreate: RateLimitPolicy? = RateLimitPolicy(name: "jobs_create", limit: 120, windowSeconds: 60)
    /// Login attempts per account (the email named), whatever address they come from.
    public var loginPerEmail: RateLimitPolicy? = RateLimitPolicy(name: "login_email", limit: 10, windowSeconds: 900)
    /// Uploads per user (`POST /files`): each may keep up to the artifact cap in object
    /// storage for the retention period, so they are counted apart from the API's budget.
    public var uploads: RateLimitPolicy? = RateLimitPolicy(name: "uploads", limit: 300, windowSeconds: 3600)
    /// Password changes per user (each one is a bcrypt verification).
    public var passwordChange: RateLimitPolicy? = RateLimitPolicy(name: "password", limit: 5, windowSeconds: 900)
    /// Two-factor code attempts per account (login, confirmation, disabling), whichever
    /// challenge or address they come from.
    public var mfaAttempts: RateLimitPolicy? = RateLimitPolicy(name: "mfa", limit: 10, windowSeconds: 900)
    /// Reset mails per address asked for: past it the request still answers 202 and
    /// mails nothing, so nobody can bury an inbox in reset mail.
    public var passwordResetPerEmail: RateLimitPolicy? = RateLimitPolicy(name: "password_reset", limit: 3, windowSeconds: 3600)
    public init() {}
}
