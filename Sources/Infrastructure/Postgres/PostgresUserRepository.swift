public import Domain
public import Foundation
public import Logging
public import Ports
public import PostgresNIO

/// Accounts in PostgreSQL.
public struct PostgresUserRepository: UserRepository {
    let client: PostgresClient
    let logger: Logger
    /// Serialises bootstrap-admin registrations so that only one can become admin.
    static let bootstrapLockKey: Int64 = 0x436c_6f75_6441_646d

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    static let columns = "id, email, username, role, password_hash, created_at, updated_at, email_verified_at"

    public func insert(_ user: User, promoteIfNoAdmin: Bool, audit: @escaping @Sendable (User) -> AuditRecord) async throws
        -> User
    {
        try await client.transaction(logger: logger) { connection in
            var stored = user
            if promoteIfNoAdmin {
                _ = try await connection.query("SELECT pg_advisory_xact_lock(\(Self.bootstrapLockKey))", logger: logger)
                let adminExists =
                    try await connection.query("SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin')", logger: logger)
                    .decode(Bool.self).first { _ in true } ?? true
                if !adminExists { stored.role = .admin }
            }
            _ = try await connection.query(
                """
                INSERT INTO users (id, email, username, role, password_hash, created_at, updated_at)
                VALUES (\(stored.id.uuid), \(stored.email.value), \(stored.username?.value), \(stored.role.rawValue),
                        \(stored.passwordHash.encoded), \(stored.createdAt), \(stored.updatedAt))
                """, logger: logger)
            try await PostgresAuditTrail.write([audit(stored)], connection, logger)
            return stored
        }
    }

    public func user(id: UserID) async throws -> User? {
        try await one("SELECT \(unescaped: Self.columns) FROM users WHERE id = \(id.uuid)")
    }

    public func user(email: Email) async throws -> User? {
        try await one("SELECT \(unescaped: Self.columns) FROM users WHERE email = \(email.value)")
    }

    public func updatePasswordHash(_ hash: PasswordHash, for id: UserID, at now: Date, audit: AuditRecord?) async throws {
        try await client.transaction(logger: logger) { connection in
            let updated = try await connection.query(
                "UPDATE users SET password_hash = \(hash.encoded), updated_at = \(now) WHERE id = \(id.uuid) RETURNING id",
                logger: logger
            ).decode(UUID.self).first { _ in true }
            guard updated != nil else { throw PortError.notFound }
            try await PostgresAuditTrail.write(audit.map { [$0] } ?? [], connection, logger)
        }
    }

    public func resetPassword(
        to hash: PasswordHash, for id: UserID, ifStill expected: PasswordHash, at now: Date, audit: AuditRecord
    ) async throws -> Bool {
        try await client.transaction(logger: logger) { connection in
            let updated = try await connection.query(
                """
                UPDATE users SET password_hash = \(hash.encoded), updated_at = \(now),
                                 email_verified_at = COALESCE(email_verified_at, \(now))
                WHERE id = \(id.uuid) AND password_hash = \(expected.encoded) RETURNING id
                """, logger: logger
            ).decode(UUID.self).first { _ in true }
            guard updated != nil else { return false }
            try await PostgresAuditTrail.write([audit], connection, logger)
            return true
        }
    }

    public func markEmailVerified(_ id: UserID, at now: Date, audit: AuditRecord) async throws -> Bool {
        try await client.transaction(logger: logger) { connection in
            let updated = try await connection.query(
                """
                UPDATE users SET email_verified_at = \(now), updated_at = \(now)
                WHERE id = \(id.uuid) AND email_verified_at IS NULL RETURNING id
                """, logger: logger
            ).decode(UUID.self).first { _ in true }
            guard updated != nil else { return false }
            try await PostgresAuditTrail.write([audit], connection, logger)
            return true
        }
    }

    public func setRole(
        _ role: Role, forEmail email: Email, at now: Date, audit: @escaping @Sendable (Role, User) -> AuditRecord
    ) async throws -> User {
        try await client.transaction(logger: logger) { connection in
            let previous = try await connection.query(
                "SELECT role FROM users WHERE email = \(email.value) FOR UPDATE", logger: logger
            ).decode(String.self).first { _ in true }
            guard let previous else { throw PortError.notFound }
            var updated: User?
            for try await row in try await connection.query(
                """
                UPDATE users SET role = \(role.rawValue), updated_at = \(now) WHERE email = \(email.value)
                RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            {
                updated = try Self.decode(row)
            }
            guard let updated else { throw PortError.notFound }
            try await PostgresAuditTrail.write(
                [audit(Role(rawValue: previous) ?? .viewer, updated)], connection, logger)
            return updated
        }
    }

    private func one(_ query: PostgresQuery) async throws -> User? {
        try await client.connection(logger: logger) { connection in
            let rows = try await connection.query(query, logger: logger)
            for try await row in rows { return try Self.decode(row) }
            return nil
        }
    }

    static func decode(_ row: PostgresRow) throws -> User {
        let (id, email, username, role, hash, createdAt, updatedAt, verifiedAt) =
            try row.decode((UUID, String, String?, String, String, Date, Date, Date?).self)
        return User(
            id: UserID(id), email: Email(trusted: email), username: username.map(Username.init(trusted:)),
            role: Role(rawValue: role) ?? .viewer, passwordHash: PasswordHash(hash), createdAt: createdAt, updatedAt: updatedAt,
            emailVerifiedAt: verifiedAt)
    }
}
