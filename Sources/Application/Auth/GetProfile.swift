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

    public func callAsFunction(caller: AccessClaims) async throws -> User {
        let key = Self.key(caller.userID)
        if let cached = await cache.get(User.self, key: key) { return cached }
        guard let user = try await users.user(id: caller.userID) else { throw UseCaseError.unauthenticated }
        await cache.put(user, key: key, version: user.cacheVersion, ttlSeconds: Self.ttlSeconds)
        return user
    }
}

extension User {
    /// Accounts change rarely; their update time in milliseconds orders their versions.
    var cacheVersion: Int { Int(updatedAt.timeIntervalSince1970 * 1000) }
}
