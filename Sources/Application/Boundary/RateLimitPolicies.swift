public import Domain

/// The rate-limit policies the API applies; `nil` means switched off.
public struct RateLimitPolicies: Sendable {
    public var login: RateLimitPolicy? = RateLimitPolicy(name: "login", limit: 5, windowSeconds: 900)
    public var auth: RateLimitPolicy? = RateLimitPolicy(name: "auth", limit: 10, windowSeconds: 900)
    public var api: RateLimitPolicy? = RateLimitPolicy(name: "api", limit: 600, windowSeconds: 60)
    public var jobsCreate: RateLimitPolicy? = RateLimitPolicy(name: "jobs_create", limit: 120, windowSeconds: 60)
    /// Login attempts per account (the email named), whatever address they come from.
    public var loginPerEmail: RateLimitPolicy? = RateLimitPolicy(name: "login_email", limit: 10, windowSeconds: 900)
    /// Password changes per user (each one is a bcrypt verification).
    public var passwordChange: RateLimitPolicy? = RateLimitPolicy(name: "password", limit: 5, windowSeconds: 900)
    /// Two-factor code attempts per account (login, confirmation, disabling), whichever
    /// challenge or address they come from.
    public var mfaAttempts: RateLimitPolicy? = RateLimitPolicy(name: "mfa", limit: 10, windowSeconds: 900)
    public init() {}
}
