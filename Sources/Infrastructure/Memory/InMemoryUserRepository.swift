public import Domain
public import Foundation
public import Ports
import Synchronization

/// Accounts in memory, for the embedded mode and the fast tests. A `Mutex` makes each
/// method atomic, which is what the contract asks of the real store's transactions.
public final class InMemoryUserRepository: UserRepository {
    private let users = Mutex<[UserID: User]>([:])
    private let audit: InMemoryAuditTrail

    public init(audit: InMemoryAuditTrail = InMemoryAuditTrail()) { self.audit = audit }

    public func insert(_ user: User, promoteIfNoAdmin: Bool, audit record: @escaping @Sendable (User) -> AuditRecord) async throws
        -> User
    {
        try users.withLock { users in
            if users.values.contains(where: { $0.email == user.email }) { throw PortError.duplicate }
            var stored = user
            if promoteIfNoAdmin, !users.values.contains(where: { $0.role == .admin }) { stored.role = .admin }
            users[user.id] = stored
            audit.write([record(stored)])
            return stored
        }
    }

    public func user(id: UserID) async throws -> User? { users.withLock { $0[id] } }

    public func user(email: Email) async throws -> User? {
        users.withLock { $0.values.first { $0.email == email } }
    }

    public func updatePasswordHash(_ hash: PasswordHash, for id: UserID, at now: Date, audit record: AuditRecord?)
        async throws
    {
        try users.withLock { users in
            guard users[id] != nil else { throw PortError.notFound }
            users[id]!.passwordHash = hash
            users[id]!.updatedAt = now
            audit.write(record.map { [$0] } ?? [])
        }
    }

    public func resetPassword(
        to hash: PasswordHash, for id: UserID, ifStill expected: PasswordHash, at now: Date, audit record: AuditRecord
    ) async throws -> Bool {
        users.withLock { users in
            guard users[id]?.passwordHash == expected else { return false }
            users[id]!.passwordHash = hash
            users[id]!.updatedAt = now
            if users[id]!.emailVerifiedAt == nil { users[id]!.emailVerifiedAt = now }
            audit.write([record])
            return true
        }
    }

    public func markEmailVerified(_ id: UserID, at now: Date, audit record: AuditRecord) async throws -> Bool {
        users.withLock { users in
            guard users[id] != nil, users[id]!.emailVerifiedAt == nil else { return false }
            users[id]!.emailVerifiedAt = now
            users[id]!.updatedAt = now
            audit.write([record])
            return true
        }
    }

    public func setRole(
        _ role: Role, forEmail email: Email, at now: Date, audit record: @escaping @Sendable (Role, User) -> AuditRecord
    ) async throws -> User {
        try users.withLock { users in
            guard let id = users.values.first(where: { $0.email == email })?.id else { throw PortError.notFound }
            let previous = users[id]!.role
            users[id]!.role = role
            users[id]!.updatedAt = now
            audit.write([record(previous, users[id]!)])
            return users[id]!
        }
    }
}
