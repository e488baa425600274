public import Domain
import Foundation
import Ports

/// Token lifetimes and the bootstrap-admin rule, from configuration.
public struct AuthSettings: Sendable {
    public let accessTokenTTLSeconds: Int
    public let refreshTokenTTLSeconds: Int
    public let bootstrapAdmin: BootstrapAdminRule
    /// Refuse logins until the address is confirmed (`CLOUDTASK_REQUIRE_VERIFIED_EMAIL`).
    public let requireVerifiedEmail: Bool
    /// Reset mails per address asked for (nil: unlimited).
    public let passwordResetPerEmail: RateLimitPolicy?

    public init(
        accessTokenTTLSeconds: Int = 900, refreshTokenTTLSeconds: Int = 604_800,
        bootstrapAdmin: BootstrapAdminRule = BootstrapAdminRule(email: nil), requireVerifiedEmail: Bool = false,
        passwordResetPerEmail: RateLimitPolicy? = RateLimitPolicies().passwordResetPerEmail
    ) {
        self.requireVerifiedEmail = requireVerifiedEmail
        self.passwordResetPerEmail = passwordResetPerEmail
        self.accessTokenTTLSeconds = accessTokenTTLSeconds
        self.refreshTokenTTLSeconds = refreshTokenTTLSeconds
        self.bootstrapAdmin = bootstrapAdmin
    }
}
