public import Foundation

/// An account.
public struct User: Hashable, Sendable, Codable {
    public let id: UserID
    public let email: Email
    public var username: Username?
    public var role: Role
    public var passwordHash: PasswordHash
    public let createdAt: Date
    public var updatedAt: Date
    /// When the owner followed the confirmation link mailed to `email`; nil until then.
    public var emailVerifiedAt: Date?

    public init(
        id: UserID, email: Email, username: Username?, role: Role,
        passwordHash: PasswordHash, createdAt: Date, updatedAt: Date, emailVerifiedAt: Date? = nil
    ) {
        self.emailVerifiedAt = emailVerifiedAt
        self.id = id
        self.email = email
        self.username = username
        self.role = role
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
