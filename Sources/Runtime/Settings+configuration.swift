public import Application
import Domain
public import Infrastructure

// The use cases' policies, read from the configuration: the one mapping every process uses.

extension AuthSettings {
    public init(_ config: CloudTaskConfiguration) {
        self.init(
            accessTokenTTLSeconds: config.accessTokenTTLSeconds, refreshTokenTTLSeconds: config.refreshTokenTTLSeconds,
            bootstrapAdmin: BootstrapAdminRule(email: config.bootstrapAdminEmail))
    }
}

extension JobSettings {
    public init(_ config: CloudTaskConfiguration) {
        self.init(
            allowlist: config.allowedCommands, maxUnfinishedJobs: config.maxUnfinishedJobs,
            limitDefaults: config.sandbox.defaults, limitMaxima: config.jobLimitMaxima,
            adminLimitMaxima: config.adminJobLimitMaxima)
    }
}
