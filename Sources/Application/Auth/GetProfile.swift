public import Domain
public import Foundation
public import Ports

/// The caller's account, through the cache.
public struct GetProfile: Sendable {
    let users: any UserRepository
    let cache: any Cache

    public init(users: any UserRepository, cache: any Cache) {
        self.users = users
        self.cache = cache
    }

    static func key(_ id: UserID) -> CacheKey { CacheKey("user:\(id)") }
    static let ttlSeconds = 300

    /// Drops the account's cached profile after a change it shows (a confirmed address),
    /// so the next read is the store's rather than the cache's for up to `ttlSeconds`.
    static func invalidate(_ id: UserID, in cache: any Cache, changedAt now: Date) async {
        await cache.invalidate(key(id), version: Int(now.timeIntervalSince1970 * 1000), ttlSeconds: ttlSeconds)
    }

    public func callAsFunction(caller: AccessClaims) async throws -> UserProfile {
        let key = Self.key(caller.userID)
        if let cached = await cache.get(UserProfile.self, key: key) { return cached }
        guard let user = try await users.user(id: caller.userID) else { throw UseCaseError.unauthenticated }
        let profile = UserProfile(user)
        await cache.put(profile, key: key, version: user.cacheVersion, ttlSeconds: Self.ttlSeconds)
        return profile
    }
}

/// What `GET /users/me` shows of an account: never the password hash, which is also
/// why this, not `User`, is what the cache holds.
public struct UserProfile: Hashable, Sendable, Codable {
    public let id: UserID
    public let email: Email
    public let username: Username?
    public let role: Role
    public let createdAt: Date
    /// Whether the address was confirmed (the mailed link was followed).
    public let emailVerified: Bool

    public init(_ user: User) {
        emailVerified = user.emailVerifiedAt != nil
        id = user.id
        email = user.email
        username = user.username
        role = user.role
        createdAt = user.createdAt
    }
}

extension User {
    /// Accounts change rarely; their update time in milliseconds orders their versions.
    var cacheVersion: Int { Int(updatedAt.timeIntervalSince1970 * 1000) }
}
