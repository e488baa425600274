public import Domain
public import Foundation
public import Logging
public import Ports
public import PostgresNIO

/// Sessions and refresh-token hashes in PostgreSQL. Rotation locks the token's row
/// (`FOR UPDATE`), so two requests racing with one token are serialised: the first
/// rotates, the second finds it spent and revokes the session.
public struct PostgresSessionStore: SessionStore {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    static let columns = "id, user_id, created_at, expires_at, revoked_at, revocation_reason"

    public func create(_ session: Session, token: RefreshTokenHash, audit: AuditRecord?) async throws {
        try await client.transaction(logger: logger) { connection in
            _ = try await connection.query(
                """
                INSERT INTO sessions (id, user_id, created_at, expires_at, revoked_at, revocation_reason)
                VALUES (\(session.id.uuid), \(session.userID.uuid), \(session.createdAt), \(session.expiresAt),
                        \(session.revokedAt), \(session.revocationReason?.rawValue))
                """, logger: logger)
            _ = try await connection.query(
                """
                INSERT INTO refresh_tokens (token_hash, session_id, expires_at) VALUES (\(token.value), \(session.id.uuid), \(session.expiresAt))
                """, logger: logger)
            try await PostgresAuditTrail.write(audit.map { [$0] } ?? [], connection, logger)
        }
    }

    public func rotate(
        presented: RefreshTokenHash, next: RefreshTokenHash, expiresAt: Date, now: Date, context: AuditContext
    ) async throws -> RefreshRotation {
        try await client.transaction(logger: logger) { connection in
            let token = try await connection.query(
                """
                SELECT session_id, expires_at, spent_at IS NOT NULL FROM refresh_tokens WHERE token_hash = \(presented.value) FOR UPDATE
                """, logger: logger
            ).decode((UUID, Date, Bool).self).first { _ in true }
            guard let (sessionID, tokenExpiry, spent) = token else { return .unknown }
            guard
                var session = try await Self.session(
                    "SELECT \(unescaped: Self.columns) FROM sessions WHERE id = \(sessionID) FOR UPDATE", connection, logger)
            else { return .unknown }
            switch session.verdict(tokenSpent: spent, tokenExpiresAt: tokenExpiry, now: now) {
            case .reject:
                return .rejected
            case .revokeSession:
                let revoked = session.revokedForReuse(at: now)
                _ = try await connection.query(
                    """
                    UPDATE sessions SET revoked_at = \(revoked.revokedAt), revocation_reason = \(revoked.revocationReason?.rawValue) WHERE id = \(sessionID)
                    """, logger: logger)
                try await PostgresAuditTrail.write([.refreshTokenReused(revoked, at: now, context: context)], connection, logger)
                return .reused(revoked)
            case .rotate:
                break
            }
            _ = try await connection.query(
                "UPDATE refresh_tokens SET spent_at = \(now) WHERE token_hash = \(presented.value)", logger: logger)
            _ = try await connection.query(
                """
                INSERT INTO refresh_tokens (token_hash, session_id, expires_at) VALUES (\(next.value), \(sessionID), \(expiresAt))
                """, logger: logger)
            _ = try await connection.query(
                "UPDATE sessions SET expires_at = \(expiresAt) WHERE id = \(sessionID)", logger: logger)
            session.expiresAt = expiresAt
            return .rotated(session)
        }
    }

    public func session(id: SessionID) async throws -> Session? {
        try await client.connection(logger: logger) { connection in
            try await Self.session("SELECT \(unescaped: Self.columns) FROM sessions WHERE id = \(id.uuid)", connection, logger)
        }
    }

    public func session(token: RefreshTokenHash) async throws -> Session? {
        try await client.connection(logger: logger) { connection in
            try await Self.session(
                """
                SELECT \(unescaped: Self.columns) FROM sessions
                WHERE id = (SELECT session_id FROM refresh_tokens WHERE token_hash = \(token.value))
                """, connection, logger)
        }
    }

    public func revoke(_ id: SessionID, reason: RevocationReason, at now: Date, audit: AuditRecord?) async throws -> Session? {
        try await client.transaction(logger: logger) { connection in
            let revoked = try await Self.session(
                """
                UPDATE sessions SET revoked_at = \(now), revocation_reason = \(reason.rawValue)
                WHERE id = \(id.uuid) AND revoked_at IS NULL RETURNING \(unescaped: Self.columns)
                """, connection, logger)
            if revoked != nil { try await PostgresAuditTrail.write(audit.map { [$0] } ?? [], connection, logger) }
            return revoked
        }
    }

    public func revokeAll(
        of user: UserID, except: SessionID?, reason: RevocationReason, at now: Date, audit: AuditRecord?
    ) async throws -> [Session] {
        try await client.transaction(logger: logger) { connection in
            try await PostgresAuditTrail.write(audit.map { [$0] } ?? [], connection, logger)
            let rows = try await connection.query(
                """
                UPDATE sessions SET revoked_at = \(now), revocation_reason = \(reason.rawValue)
                WHERE user_id = \(user.uuid) AND revoked_at IS NULL AND id IS DISTINCT FROM \(except?.uuid)
                RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            var sessions: [Session] = []
            for try await row in rows { sessions.append(try Self.decode(row)) }
            return sessions
        }
    }

    public func revoked(since: Date) async throws -> [Session] {
        try await client.connection(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM sessions WHERE revoked_at >= \(since)
                """, logger: logger)
            var sessions: [Session] = []
            for try await row in rows { sessions.append(try Self.decode(row)) }
            return sessions
        }
    }

    public func purge(endedBefore cutoff: Date) async throws -> Int {
        try await client.connection(logger: logger) { connection in
            try await connection.query(
                """
                WITH gone AS (DELETE FROM sessions WHERE coalesce(revoked_at, expires_at) < \(cutoff) RETURNING 1)
                SELECT count(*) FROM gone
                """, logger: logger
            ).decode(Int.self).first { _ in true } ?? 0
        }
    }

    static func session(_ query: PostgresQuery, _ connection: PostgresConnection, _ logger: Logger) async throws -> Session? {
        for try await row in try await connection.query(query, logger: logger) { return try decode(row) }
        return nil
    }

    static func decode(_ row: PostgresRow) throws -> Session {
        let (id, user, createdAt, expiresAt, revokedAt, reason) = try row.decode((UUID, UUID, Date, Date, Date?, String?).self)
        return Session(
            id: SessionID(id), userID: UserID(user), createdAt: createdAt, expiresAt: expiresAt,
            revokedAt: revokedAt, revocationReason: reason.flatMap(RevocationReason.init(rawValue:)))
    }
}
