public import Domain
public import Foundation
public import Logging
public import PostgresNIO
public import Ports

/// Jobs, their output and the outbox in PostgreSQL. Every change runs in one
/// transaction with the job rows locked (`FOR UPDATE`, in id order so two batches
/// cannot deadlock); due jobs and outbox rows are claimed with `SKIP LOCKED`.
public struct PostgresJobStore: JobRepository, Outbox {
    let client: PostgresClient
    let logger: Logger
    let outputLimitBytes: Int

    public init(client: PostgresClient, outputLimitBytes: Int, logger: Logger) {
        self.client = client
        self.outputLimitBytes = outputLimitBytes
        self.logger = logger
    }

    public func create(_ job: Job, dispatch: OutboxMessage?, unfinishedLimit: Int) async throws -> JobCreation {
        try await client.transaction(logger: logger) { connection in
            // One owner's creates take turns: the limit and the idempotency check hold under concurrency.
            _ = try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(job.ownerID.description), 7))", logger: logger)
            if let key = job.idempotencyKey,
               let earlier = try await Self.jobs("""
                   SELECT \(unescaped: JobRows.columns) FROM jobs WHERE owner_id = \(job.ownerID.uuid) AND idempotency_key = \(key)
                   """, connection, logger).first {
                return .existing(earlier)
            }
            let unfinished = try await connection.query("""
                SELECT count(*) FROM jobs WHERE owner_id = \(job.ownerID.uuid) AND status IN ('scheduled', 'queued', 'running')
                """, logger: logger).decode(Int.self).first { _ in true } ?? 0
            if unfinished >= unfinishedLimit { return .tooManyUnfinished(limit: unfinishedLimit) }
            _ = try await connection.query(JobRows.insert(job), logger: logger)
            _ = try await connection.query("INSERT INTO job_outputs (job_id) VALUES (\(job.id.uuid))", logger: logger)
            if let dispatch { try await Self.enqueue([dispatch], connection, logger) }
            return .created(job)
        }
    }

    public func job(id: JobID) async throws -> Job? {
        try await client.connection(logger: logger) { connection in
            try await Self.jobs("SELECT \(unescaped: JobRows.columns) FROM jobs WHERE id = \(id.uuid)", connection, logger).first
        }
    }

    public func job(owner: UserID, idempotencyKey: String) async throws -> Job? {
        try await client.connection(logger: logger) { connection in
            try await Self.jobs("""
                SELECT \(unescaped: JobRows.columns) FROM jobs WHERE owner_id = \(owner.uuid) AND idempotency_key = \(idempotencyKey)
                """, connection, logger).first
        }
    }

    public func list(_ query: JobQuery) async throws -> [Job] {
        // Built from fixed fragments so that each shape of the query has its own plan on
        // the index that serves it (owner, created_at, id) or (created_at, id).
        var sql = "SELECT \(JobRows.columns) FROM jobs WHERE true"
        var binds = PostgresBindings()
        if let owner = query.owner {
            try binds.append(owner.uuid)
            sql += " AND owner_id = $\(binds.count)"
        }
        if let status = query.status {
            try binds.append(status.rawValue)
            sql += " AND status = $\(binds.count)"
        }
        if let after = query.after {
            try binds.append(after.createdAt)
            try binds.append(after.id.uuid)
            sql += " AND (created_at, id) < ($\(binds.count - 1), $\(binds.count))"
        }
        try binds.append(query.limit)
        sql += " ORDER BY created_at DESC, id DESC LIMIT $\(binds.count)"
        let statement = PostgresQuery(unsafeSQL: sql, binds: binds)
        return try await client.connection(logger: logger) { connection in
            try await Self.jobs(statement, connection, logger)
        }
    }

    public func output(of id: JobID) async throws -> JobOutput? {
        try await client.connection(logger: logger) { connection in
            try await connection.query("SELECT stdout, stderr, truncated FROM job_outputs WHERE job_id = \(id.uuid)", logger: logger)
                .decode((String, String, Bool).self).first { _ in true }
                .map { JobOutput(stdout: $0.0, stderr: $0.1, truncated: $0.2) }
        }
    }

    public func update<Result: Sendable>(
        _ ids: Set<JobID>, _ body: @Sendable (inout JobChangeSet) throws -> Result
    ) async throws -> Result {
        let sorted = ids.map(\.uuid).sorted { $0.uuidString < $1.uuidString }
        return try await client.transaction(logger: logger) { connection in
            let jobs = try await Self.jobs("""
                SELECT \(unescaped: JobRows.columns) FROM jobs WHERE id = ANY(\(sorted)) ORDER BY id FOR UPDATE
                """, connection, logger)
            return try await apply(jobs, body, connection)
        }
    }

    public func updateDue<Result: Sendable>(
        now: Date, limit: Int, _ body: @Sendable (inout JobChangeSet) throws -> Result
    ) async throws -> Result {
        try await client.transaction(logger: logger) { connection in
            let jobs = try await Self.jobs("""
                SELECT \(unescaped: JobRows.columns) FROM jobs WHERE status = 'scheduled' AND run_at <= \(now)
                ORDER BY run_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """, connection, logger)
            return try await apply(jobs, body, connection)
        }
    }

    /// Runs `body` on locked jobs and writes what it changed, in the caller's transaction.
    private func apply<Result>(_ jobs: [Job], _ body: (inout JobChangeSet) throws -> Result, _ connection: PostgresConnection) async throws -> Result {
        let originals = Dictionary(uniqueKeysWithValues: jobs.map { ($0.id, $0) })
        var changes = JobChangeSet(jobs: originals)
        let result = try body(&changes)
        for (id, job) in changes.jobs where originals[id] != nil && originals[id] != job {
            _ = try await connection.query(JobRows.update(job), logger: logger)
        }
        let touched = Set(changes.outputResets + changes.outputAppends.map(\.0)).filter { originals[$0] != nil }
        if !touched.isEmpty {
            var outputs: [JobID: JobOutput] = [:]
            let rows = try await connection.query("""
                SELECT job_id, stdout, stderr, truncated FROM job_outputs WHERE job_id = ANY(\(touched.map(\.uuid))) FOR UPDATE
                """, logger: logger)
            for try await (id, stdout, stderr, truncated) in rows.decode((UUID, String, String, Bool).self) {
                outputs[JobID(id)] = JobOutput(stdout: stdout, stderr: stderr, truncated: truncated)
            }
            for id in changes.outputResets where touched.contains(id) { outputs[id] = JobOutput() }
            for (id, chunk) in changes.outputAppends where touched.contains(id) {
                outputs[id, default: JobOutput()].append(chunk, limit: outputLimitBytes)
            }
            for (id, output) in outputs {
                _ = try await connection.query("""
                    INSERT INTO job_outputs (job_id, stdout, stderr, truncated) VALUES (\(id.uuid), \(output.stdout), \(output.stderr), \(output.truncated))
                    ON CONFLICT (job_id) DO UPDATE SET stdout = excluded.stdout, stderr = excluded.stderr, truncated = excluded.truncated
                    """, logger: logger)
            }
        }
        try await Self.enqueue(changes.outbox, connection, logger)
        return result
    }

    public func purgeFinished(before cutoff: Date) async throws -> Int {
        try await client.connection(logger: logger) { connection in
            try await connection.query("""
                WITH gone AS (DELETE FROM jobs WHERE status IN ('succeeded', 'failed', 'cancelled') AND finished_at < \(cutoff) RETURNING 1)
                SELECT count(*) FROM gone
                """, logger: logger).decode(Int.self).first { _ in true } ?? 0
        }
    }

    // MARK: Outbox

    private static let encoder = JSONEncoder()

    static func enqueue(_ messages: [OutboxMessage], _ connection: PostgresConnection, _ logger: Logger) async throws {
        for message in messages {
            let payload = String(decoding: try encoder.encode(message), as: UTF8.self)
            _ = try await connection.query("""
                INSERT INTO outbox (job_id, payload) VALUES (\(message.jobID.uuid), CAST(\(payload) AS jsonb))
                """, logger: logger)
        }
    }

    public func relay(limit: Int, _ publish: @Sendable ([OutboxMessage]) async throws -> Void) async throws -> Int {
        try await client.transaction(logger: logger) { connection in
            var ids: [Int64] = []
            var messages: [OutboxMessage] = []
            let rows = try await connection.query("""
                SELECT id, payload::text FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """, logger: logger)
            let decoder = JSONDecoder()
            for try await (id, payload) in rows.decode((Int64, String).self) {
                ids.append(id)
                messages.append(try decoder.decode(OutboxMessage.self, from: Data(payload.utf8)))
            }
            guard !messages.isEmpty else { return 0 }
            try await publish(messages)
            _ = try await connection.query("UPDATE outbox SET published_at = now() WHERE id = ANY(\(ids))", logger: logger)
            return messages.count
        }
    }

    public func backlog(now: Date) async throws -> (count: Int, oldestAgeSeconds: Double) {
        try await client.connection(logger: logger) { connection in
            let row = try await connection.query("""
                SELECT count(*), min(created_at) FROM outbox WHERE published_at IS NULL
                """, logger: logger).decode((Int, Date?).self).first { _ in true }
            let oldest = row?.1.map { max(0, now.timeIntervalSince($0)) } ?? 0
            return (row?.0 ?? 0, oldest)
        }
    }

    public func purgePublished(before cutoff: Date) async throws -> Int {
        try await client.connection(logger: logger) { connection in
            try await connection.query("""
                WITH gone AS (DELETE FROM outbox WHERE published_at < \(cutoff) RETURNING 1) SELECT count(*) FROM gone
                """, logger: logger).decode(Int.self).first { _ in true } ?? 0
        }
    }

    static func jobs(_ query: PostgresQuery, _ connection: PostgresConnection, _ logger: Logger) async throws -> [Job] {
        var jobs: [Job] = []
        for try await row in try await connection.query(query, logger: logger) { jobs.append(try JobRows.decode(row)) }
        return jobs
    }
}
