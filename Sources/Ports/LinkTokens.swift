public import Domain
public import Foundation

/// What a link mailed to an account may do.
public enum LinkPurpose: UInt8, Hashable, Sendable {
    case verifyEmail = 1
    case resetPassword = 2
}

/// What a link token says, before it is checked.
public struct LinkClaims: Hashable, Sendable {
    public let purpose: LinkPurpose
    public let account: UserID
    public let expiresAt: Date

    public init(purpose: LinkPurpose, account: UserID, expiresAt: Date) {
        self.purpose = purpose
        self.account = account
        // Whole seconds: what the token carries.
        self.expiresAt = Date(timeIntervalSince1970: expiresAt.timeIntervalSince1970.rounded(.down))
    }
}

/// Signed tokens for the links in mail. A token is bound to a value of the account that
/// using it changes (the password hash for a reset, the address for a confirmation), so
/// it works once: after use the binding no longer matches. Nothing is stored.
public protocol LinkTokens: Sendable {
    func make(_ claims: LinkClaims, binding: String) -> String
    /// The claims a well-formed token carries, not yet checked: the caller loads the
    /// account to learn the binding, then calls `verify`.
    func claims(of token: String) -> LinkClaims?
    /// Whether the token's signature covers its claims and `binding`.
    func verify(_ token: String, binding: String) -> Bool
}
