public import Domain
import Foundation
import Ports

/// Token lifetimes and the bootstrap-admin rule, from configuration.
public struct AuthSettings: Sendable {
    public let accessTokenTTLSeconds: Int
    public let refreshTokenTTLSeconds: Int
    public let bootstrapAdmin: BootstrapAdminRule

    public init(
        accessTokenTTLSeconds: Int = 900, refreshTokenTTLSeconds: Int = 604_800,
        bootstrapAdmin: BootstrapAdminRule = BootstrapAdminRule(email: nil)
    ) {
        self.accessTokenTTLSeconds = accessTokenTTLSeconds
        self.refreshTokenTTLSeconds = refreshTokenTTLSeconds
        self.bootstrapAdmin = bootstrapAdmin
    }
}
