public import Application
import Domain
public import Infrastructure

// The use cases' policies, read from the configuration: the one mapping every process uses.

extension AuthSettings {
    public init(_ config: CloudTaskConfiguration) {
        self.init(
            accessTokenTTLSeconds: config.accessTokenTTLSeconds, refreshTokenTTLSeconds: config.refreshTokenTTLSeconds,
            bootstrapAdmin: BootstrapAdminRule(email: config.bootstrapAdminEmail),
            requireVerifiedEmail: config.requireVerifiedEmail,
            passwordResetPerEmail: config.rateLimits.passwordResetPerEmail)
    }
}

extension MailSettings {
    public init(_ config: CloudTaskConfiguration) {
        let host = config.httpHost == "0.0.0.0" || config.httpHost == "::" ? "localhost" : config.httpHost
        self.init(
            publicURL: config.publicURL ?? "http://\(host.contains(":") ? "[\(host)]" : host):\(config.httpPort)",
            maxAttempts: config.mailMaxAttempts,
            backoff: Backoff(baseSeconds: Double(config.mailRetryBaseSeconds), capSeconds: 3600),
            requireVerifiedEmail: config.requireVerifiedEmail)
    }
}

extension JobSettings {
    public init(_ config: CloudTaskConfiguration) {
        self.init(
            allowlist: config.allowedCommands, maxUnfinishedJobs: config.maxUnfinishedJobs,
            limitDefaults: config.sandbox.defaults, limitMaxima: config.jobLimitMaxima,
            adminLimitMaxima: config.adminJobLimitMaxima)
        artifactMaxBytes = config.artifactMaxBytes
        artifactRedirectSeconds = config.artifactRedirectSeconds
    }
}
