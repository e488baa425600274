import Domain
public import Foundation
public import Logging
public import Ports
public import PostgresNIO

/// The mail queue in PostgreSQL (migration 0008). Planning takes the planner's one row
/// `FOR UPDATE`, so planners in many processes take turns and each audit entry is
/// planned once; senders claim due rows with `SKIP LOCKED` and hide them for a lease by
/// moving `next_attempt_at`, so a sender that dies leaves its rows to the next.
public struct PostgresMailQueue: MailQueue {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Queues drafts inside a caller's transaction; one already queued is left alone.
    static func insert(_ drafts: [MailDraft], _ connection: PostgresConnection, _ logger: Logger) async throws {
        for draft in drafts {
            _ = try await connection.query(
                """
                INSERT INTO mail_queue (id, kind, account_id, job_id, audit_seq, details, created_at, not_after, next_attempt_at)
                VALUES (\(draft.id), \(draft.kind.rawValue), \(draft.accountID.uuid), \(draft.jobID?.uuid),
                        \(draft.auditSequence), CAST(\(PostgresAuditTrail.json(draft.details)) AS jsonb), \(draft.createdAt),
                        \(draft.notAfter), \(draft.createdAt))
                ON CONFLICT DO NOTHING
                """, logger: logger)
        }
    }

    public func plan(_ step: @escaping @Sendable (Int64) async throws -> (drafts: [MailDraft], through: Int64)) async throws
        -> Int
    {
        try await client.transaction(logger: logger) { connection in
            let position =
                try await connection.query("SELECT position FROM mail_planner WHERE id = 1 FOR UPDATE", logger: logger)
                .decode(Int64.self).first { _ in true } ?? 0
            let (drafts, through) = try await step(position)
            try await Self.insert(drafts, connection, logger)
            if through > position {
                _ = try await connection.query("UPDATE mail_planner SET position = \(through) WHERE id = 1", logger: logger)
            }
            return drafts.count
        }
    }

    public func claim(now: Date, limit: Int, leaseSeconds: Int) async throws -> [QueuedMail] {
        let leaseEnd = now.addingTimeInterval(Double(leaseSeconds))
        return try await client.withConnection { connection in
            let rows = try await connection.query(
                """
                UPDATE mail_queue SET next_attempt_at = \(leaseEnd)
                WHERE id IN (
                    SELECT id FROM mail_queue WHERE state = 'pending' AND next_attempt_at <= \(now)
                    ORDER BY next_attempt_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                RETURNING id, kind, account_id, job_id, audit_seq, details::text, created_at, not_after, attempts
                """, logger: logger)
            var claimed: [QueuedMail] = []
            for try await row in rows {
                let (id, kind, account, job, sequence, details, createdAt, notAfter, attempts) =
                    try row.decode((UUID, String, UUID, UUID?, Int64?, String, Date, Date?, Int).self)
                guard let kind = MailKind(rawValue: kind) else {
                    // Written by a newer build: leave it to one that knows it.
                    logger.warning("mail of an unknown kind left for a newer build", metadata: ["kind": "\(kind)"])
                    continue
                }
                claimed.append(
                    QueuedMail(
                        draft: MailDraft(
                            id: id, kind: kind, accountID: UserID(account), jobID: job.map(JobID.init),
                            auditSequence: sequence, details: PostgresAuditTrail.details(details), createdAt: createdAt,
                            notAfter: notAfter),
                        attempts: attempts))
            }
            return claimed.sorted { $0.draft.createdAt < $1.draft.createdAt }
        }
    }

    public func finish(_ id: UUID, _ outcome: MailAttemptOutcome, at now: Date) async throws {
        let (state, next, error): (String, Date?, String?) =
            switch outcome {
            case .sent: ("sent", nil, nil)
            case .retry(let at, let error): ("pending", at, error)
            case .dead(let error): ("dead", nil, error)
            case .dropped(let reason): ("dropped", nil, reason)
            }
        let bounded = error.map { String(OutputText.prefix(OutputText.clean($0), maxBytes: 1024)) }
        _ = try await client.withConnection { connection in
            try await connection.query(
                """
                UPDATE mail_queue SET state = \(state), attempts = attempts + 1,
                    next_attempt_at = COALESCE(\(next), next_attempt_at), last_error = COALESCE(\(bounded), last_error),
                    finished_at = CASE WHEN \(state) = 'pending' THEN NULL ELSE \(now) END
                WHERE id = \(id) AND state = 'pending'
                """, logger: logger)
        }
    }

    public func backlog(now: Date) async throws -> MailBacklog {
        try await client.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'dead'),
                       min(created_at) FILTER (WHERE state = 'pending')
                FROM mail_queue WHERE state IN ('pending', 'dead')
                """, logger: logger)
            for try await (pending, dead, oldest) in rows.decode((Int, Int, Date?).self) {
                return MailBacklog(
                    pending: pending, dead: dead, oldestPendingAgeSeconds: oldest.map { max(0, now.timeIntervalSince($0)) } ?? 0)
            }
            return MailBacklog(pending: 0, dead: 0, oldestPendingAgeSeconds: 0)
        }
    }

    public func purgeFinished(before cutoff: Date) async throws -> Int {
        try await client.withConnection { connection in
            try await connection.query(
                """
                WITH gone AS (DELETE FROM mail_queue WHERE state <> 'pending' AND finished_at < \(cutoff) RETURNING 1)
                SELECT count(*) FROM gone
                """, logger: logger
            ).decode(Int.self).first { _ in true } ?? 0
        }
    }
}
