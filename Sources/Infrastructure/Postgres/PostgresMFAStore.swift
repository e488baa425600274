public import Domain
public import Foundation
public import Logging
public import Ports
public import PostgresNIO

/// Two-factor state in PostgreSQL (migration 0007). TOTP secrets are sealed by
/// `SecretSealer` before they are written; one sealed under an old key is sealed again
/// under the current key when it is next read. Without a sealer (no `CLOUDTASK_MFA_KEY`)
/// nothing can be enrolled and a stored secret cannot be read: `PortError.unavailable`.
public struct PostgresMFAStore: MFAStore {
    let client: PostgresClient
    let sealer: SecretSealer?
    let logger: Logger

    public init(client: PostgresClient, sealer: SecretSealer?, logger: Logger) {
        self.client = client
        self.sealer = sealer
        self.logger = logger
    }

    public func factor(of user: UserID) async throws -> TOTPFactor? {
        let row = try await client.query(
            """
            SELECT secret_sealed, created_at, confirmed_at, last_used_step FROM mfa_totp WHERE user_id = \(user.uuid)
            """, logger: logger
        ).decode((String, Date, Date?, Int64).self).first { _ in true }
        guard let (sealed, createdAt, confirmedAt, lastUsedStep) = row else { return nil }
        guard let sealer else { throw PortError.unavailable }
        let secret: [UInt8]
        let stale: Bool
        do {
            (secret, stale) = try sealer.open(sealed)
        } catch {
            // A key missing from the configuration (or a damaged row): the operator's to
            // fix, and this account's logins wait for it (503), never a 500.
            logger.error("a two-factor secret cannot be opened", metadata: ["user_id": "\(user)", "error": "\(error)"])
            throw PortError.unavailable
        }
        if stale {
            // Rotation: the old key opened it; the current key seals it from now on.
            let resealed = try sealer.seal(secret)
            _ = try? await client.query(
                "UPDATE mfa_totp SET secret_sealed = \(resealed) WHERE user_id = \(user.uuid) AND secret_sealed = \(sealed)",
                logger: logger)
        }
        return TOTPFactor(
            userID: user, secret: TOTPSecret(secret), createdAt: createdAt, confirmedAt: confirmedAt,
            lastUsedStep: lastUsedStep)
    }

    /// Seals every secret still under an old key with the current one (after a rotation,
    /// so that the old key can be dropped). Returns how many were sealed again, and how
    /// many no configured key opens.
    public func resealAll() async throws -> (resealed: Int, unreadable: Int) {
        guard let sealer else { throw PortError.unavailable }
        let rows = try await client.query("SELECT user_id, secret_sealed FROM mfa_totp", logger: logger)
        var stale: [(UUID, String, String)] = []
        var unreadable = 0
        for try await (user, sealed) in rows.decode((UUID, String).self) {
            guard let opened = try? sealer.open(sealed) else {
                unreadable += 1
                continue
            }
            if opened.stale { stale.append((user, sealed, try sealer.seal(opened.plaintext))) }
        }
        for (user, sealed, resealed) in stale {
            _ = try await client.query(
                "UPDATE mfa_totp SET secret_sealed = \(resealed) WHERE user_id = \(user) AND secret_sealed = \(sealed)",
                logger: logger)
        }
        return (stale.count, unreadable)
    }

    public func beginEnrolment(_ user: UserID, secret: TOTPSecret, at now: Date) async throws {
        guard let sealer else { throw PortError.unavailable }
        let sealed = try sealer.seal(secret.bytes)
        let written = try await client.query(
            """
            INSERT INTO mfa_totp (user_id, secret_sealed, created_at) VALUES (\(user.uuid), \(sealed), \(now))
            ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, created_at = excluded.created_at,
                last_used_step = 0
            WHERE mfa_totp.confirmed_at IS NULL
            RETURNING 1
            """, logger: logger
        ).decode(Int.self).first { _ in true }
        if written == nil { throw PortError.duplicate }
    }

    public func confirm(
        _ user: UserID, step: Int64, recoveryCodes: [RecoveryCodeHash], at now: Date, audit: AuditRecord
    ) async throws {
        try await client.transaction(logger: logger) { connection in
            let confirmed = try await connection.query(
                """
                UPDATE mfa_totp SET confirmed_at = \(now), last_used_step = \(step)
                WHERE user_id = \(user.uuid) AND confirmed_at IS NULL RETURNING 1
                """, logger: logger
            ).decode(Int.self).first { _ in true }
            guard confirmed != nil else { throw PortError.notFound }
            _ = try await connection.query("DELETE FROM mfa_recovery_codes WHERE user_id = \(user.uuid)", logger: logger)
            _ = try await connection.query(
                """
                INSERT INTO mfa_recovery_codes (user_id, code_hash)
                SELECT \(user.uuid), unnest(\(recoveryCodes.map(\.value))::text[])
                """, logger: logger)
            try await PostgresAuditTrail.write([audit], connection, logger)
        }
    }

    public func useStep(_ user: UserID, step: Int64) async throws -> Bool {
        try await client.query(
            """
            UPDATE mfa_totp SET last_used_step = \(step)
            WHERE user_id = \(user.uuid) AND confirmed_at IS NOT NULL AND last_used_step < \(step) RETURNING 1
            """, logger: logger
        ).decode(Int.self).first { _ in true } != nil
    }

    public func useRecoveryCode(_ user: UserID, _ code: RecoveryCodeHash, at now: Date, audit: AuditRecord) async throws
        -> Bool
    {
        try await client.transaction(logger: logger) { connection in
            let used = try await connection.query(
                """
                UPDATE mfa_recovery_codes SET used_at = \(now)
                WHERE user_id = \(user.uuid) AND code_hash = \(code.value) AND used_at IS NULL
                  AND EXISTS (SELECT 1 FROM mfa_totp WHERE user_id = \(user.uuid) AND confirmed_at IS NOT NULL)
                RETURNING 1
                """, logger: logger
            ).decode(Int.self).first { _ in true }
            guard used != nil else { return false }
            try await PostgresAuditTrail.write([audit], connection, logger)
            return true
        }
    }

    public func unusedRecoveryCodes(of user: UserID) async throws -> Int {
        try await client.query(
            "SELECT count(*)::int FROM mfa_recovery_codes WHERE user_id = \(user.uuid) AND used_at IS NULL",
            logger: logger
        ).decode(Int.self).first { _ in true } ?? 0
    }

    public func remove(_ user: UserID, audit: AuditRecord) async throws {
        try await client.transaction(logger: logger) { connection in
            _ = try await connection.query("DELETE FROM mfa_totp WHERE user_id = \(user.uuid)", logger: logger)
            _ = try await connection.query("DELETE FROM mfa_recovery_codes WHERE user_id = \(user.uuid)", logger: logger)
            _ = try await connection.query("DELETE FROM mfa_challenges WHERE user_id = \(user.uuid)", logger: logger)
            try await PostgresAuditTrail.write([audit], connection, logger)
        }
    }

    public func createChallenge(_ token: RefreshTokenHash, user: UserID, expiresAt: Date, maxAttempts: Int) async throws {
        _ = try await client.query(
            """
            INSERT INTO mfa_challenges (token_hash, user_id, expires_at, attempts_left)
            VALUES (\(token.value), \(user.uuid), \(expiresAt), \(maxAttempts))
            """, logger: logger)
    }

    public func attemptChallenge(_ token: RefreshTokenHash, now: Date) async throws -> MFAChallengeAttempt {
        let user = try await client.query(
            """
            UPDATE mfa_challenges SET attempts_left = attempts_left - 1
            WHERE token_hash = \(token.value) AND expires_at > \(now) AND attempts_left > 0 RETURNING user_id
            """, logger: logger
        ).decode(UUID.self).first { _ in true }
        return user.map { .open(UserID($0)) } ?? .closed
    }

    public func spendChallenge(_ token: RefreshTokenHash) async throws -> Bool {
        try await client.query(
            "DELETE FROM mfa_challenges WHERE token_hash = \(token.value) RETURNING 1", logger: logger
        ).decode(Int.self).first { _ in true } != nil
    }

    public func purge(before cutoff: Date) async throws -> Int {
        try await client.query(
            """
            WITH challenges AS (DELETE FROM mfa_challenges WHERE expires_at < \(cutoff) RETURNING 1),
                 codes AS (DELETE FROM mfa_recovery_codes WHERE used_at < \(cutoff) RETURNING 1)
            SELECT (SELECT count(*) FROM challenges) + (SELECT count(*) FROM codes)
            """, logger: logger
        ).decode(Int.self).first { _ in true } ?? 0
    }
}
