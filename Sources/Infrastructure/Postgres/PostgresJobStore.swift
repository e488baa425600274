public import Domain
public import Foundation
public import Logging
public import Ports
public import PostgresNIO

/// Jobs, their output and the outbox in PostgreSQL. Every change runs in one
/// transaction with the job rows locked (`FOR UPDATE`, in id order so two batches
/// cannot deadlock); due jobs and outbox rows are claimed with `SKIP LOCKED`.
public struct PostgresJobStore: JobRepository, Outbox, JobStatistics {
    let client: PostgresClient
    let logger: Logger
    let outputLimitBytes: Int
    /// Concurrent creates share transactions (see `PostgresJobStore+create.swift`).
    let creations: BatchingQueue<JobCreationRequest, JobCreation>

    public init(client: PostgresClient, outputLimitBytes: Int, logger: Logger) {
        self.client = client
        self.outputLimitBytes = outputLimitBytes
        self.logger = logger
        let writer = JobCreationWriter(client: client, logger: logger)
        self.creations = BatchingQueue(maxBatch: JobCreationWriter.maxBatch, batch: writer.create, single: writer.create)
    }

    public func job(id: JobID) async throws -> Job? {
        try await client.connection(logger: logger) { connection in
            try await Self.jobs("SELECT \(unescaped: JobRows.columns) FROM jobs WHERE id = \(id.uuid)", connection, logger).first
        }
    }

    public func job(owner: UserID, idempotencyKey: String) async throws -> Job? {
        try await client.connection(logger: logger) { connection in
            try await Self.jobs(
                """
                SELECT \(unescaped: JobRows.columns) FROM jobs WHERE owner_id = \(owner.uuid) AND idempotency_key = \(idempotencyKey)
                """, connection, logger
            ).first
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
            try await connection.query(
                "SELECT stdout, stderr, truncated FROM job_outputs WHERE job_id = \(id.uuid)", logger: logger
            )
            .decode((String, String, Bool).self).first { _ in true }
            .map { JobOutput(stdout: $0.0, stderr: $0.1, truncated: $0.2) }
        }
    }

    public func artifacts(of id: JobID) async throws -> [JobArtifact] {
        try await client.connection(logger: logger) { connection in
            try await PostgresJobArtifacts.read(id, connection, logger)
        }
    }

    public func update<Result: Sendable>(
        _ ids: Set<JobID>, _ body: @Sendable (inout JobChangeSet) throws -> Result
    ) async throws -> Result {
        let sorted = ids.map(\.uuid).sorted { $0.uuidString < $1.uuidString }
        // The transaction runs in a child task that ends before this returns: `body` does not outlive the call.
        return try await withoutActuallyEscaping(body) { body in
            try await client.transaction(logger: logger) { connection in
                let jobs = try await Self.jobs(
                    """
                    SELECT \(unescaped: JobRows.columns) FROM jobs WHERE id = ANY(\(sorted)) ORDER BY id FOR UPDATE
                    """, connection, logger)
                return try await apply(jobs, body, connection)
            }
        }
    }

    public func updateDue<Result: Sendable>(
        now: Date, limit: Int, _ body: @Sendable (inout JobChangeSet) throws -> Result
    ) async throws -> Result {
        try await withoutActuallyEscaping(body) { body in
            try await client.transaction(logger: logger) { connection in
                let jobs = try await Self.jobs(
                    """
                    SELECT \(unescaped: JobRows.columns) FROM jobs WHERE status = 'scheduled' AND run_at <= \(now)
                    ORDER BY run_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
                    """, connection, logger)
                return try await apply(jobs, body, connection)
            }
        }
    }

    /// Runs `body` on locked jobs and writes what it changed, in the caller's transaction.
    private func apply<Result>(_ jobs: [Job], _ body: (inout JobChangeSet) throws -> Result, _ connection: PostgresConnection)
        async throws -> Result
    {
        let originals = Dictionary(uniqueKeysWithValues: jobs.map { ($0.id, $0) })
        var changes = JobChangeSet(jobs: originals)
        let result = try body(&changes)
        let changed = changes.jobs.values.filter { originals[$0.id] != nil && originals[$0.id] != $0 }
        if !changed.isEmpty {
            _ = try await connection.query(
                try JobRows.update(changed.sorted { $0.id.uuid.uuidString < $1.id.uuid.uuidString }), logger: logger)
        }
        let touched = Set(changes.outputResets + changes.outputAppends.map(\.0)).filter { originals[$0] != nil }
        if !touched.isEmpty {
            var outputs: [JobID: JobOutput] = [:]
            let rows = try await connection.query(
                """
                SELECT job_id, stdout, stderr, truncated FROM job_outputs WHERE job_id = ANY(\(touched.map(\.uuid))) FOR UPDATE
                """, logger: logger)
            for try await (id, stdout, stderr, truncated) in rows.decode((UUID, String, String, Bool).self) {
                outputs[JobID(id)] = JobOutput(stdout: stdout, stderr: stderr, truncated: truncated)
            }
            for id in changes.outputResets where touched.contains(id) { outputs[id] = JobOutput() }
            for (id, chunk) in changes.outputAppends where touched.contains(id) {
                outputs[id, default: JobOutput()].append(chunk, limit: outputLimitBytes)
            }
            if !outputs.isEmpty { _ = try await connection.query(try JobRows.upsertOutputs(outputs), logger: logger) }
        }
        try await PostgresJobArtifacts.replace(changes.artifacts.filter { originals[$0.key] != nil }, connection, logger)
        try await Self.enqueue(changes.outbox, connection, logger)
        try await PostgresAuditTrail.write(changes.audit, connection, logger)
        try await PostgresMailQueue.insert(changes.mail, connection, logger)
        return result
    }

    public func purgeFinished(before cutoff: Date, cleared: Set<JobID>) async throws -> Int {
        let clearedIDs = cleared.map(\.uuid)
        return try await client.connection(logger: logger) { connection in
            try await connection.query(
                """
                WITH gone AS (
                    DELETE FROM jobs WHERE status IN ('succeeded', 'failed', 'cancelled') AND finished_at < \(cutoff)
                    AND (cardinality(artifacts) = 0 OR id = ANY(\(clearedIDs)::uuid[])) RETURNING 1)
                SELECT count(*) FROM gone
                """, logger: logger
            ).decode(Int.self).first { _ in true } ?? 0
        }
    }

    public func finishedWithArtifacts(before cutoff: Date, limit: Int) async throws -> [JobID] {
        try await client.connection(logger: logger) { connection in
            var ids: [JobID] = []
            let rows = try await connection.query(
                """
                SELECT id FROM jobs WHERE status IN ('succeeded', 'failed', 'cancelled') AND finished_at < \(cutoff)
                AND cardinality(artifacts) > 0 ORDER BY finished_at LIMIT \(limit)
                """, logger: logger)
            for try await id in rows.decode(UUID.self) { ids.append(JobID(id)) }
            return ids
        }
    }

    public func filesInUse(among files: [UUID]) async throws -> Set<UUID> {
        guard !files.isEmpty else { return [] }
        return try await client.connection(logger: logger) { connection in
            var used: Set<UUID> = []
            // Only unfinished jobs, through their index (jobs_unfinished), which are few
            // next to the kept final ones; `&&` passes over a job that names none of these
            // files before anything is unnested.
            let rows = try await connection.query(
                """
                SELECT DISTINCT named FROM jobs, unnest(input_files) AS named
                WHERE status IN ('scheduled', 'queued', 'running') AND input_files && \(files)::uuid[]
                AND named = ANY(\(files)::uuid[])
                """, logger: logger)
            for try await id in rows.decode(UUID.self) { used.insert(id) }
            return used
        }
    }

    // MARK: Outbox

    /// Appends messages to the outbox in one statement, in the given order. A row holds
    /// the message's wire form (docs/messages.md), exactly what the relay publishes.
    static func enqueue(_ messages: [OutboxMessage], _ connection: PostgresConnection, _ logger: Logger) async throws {
        guard !messages.isEmpty else { return }
        let jobIDs = messages.map(\.jobID.uuid)
        let payloads = messages.map { String(decoding: JobMessageCodec.encode($0), as: UTF8.self) }
        _ = try await connection.query(
            """
            INSERT INTO outbox (job_id, payload)
            SELECT job_id, CAST(payload AS jsonb) FROM unnest(\(jobIDs)::uuid[], \(payloads)::text[]) WITH ORDINALITY AS m(job_id, payload, n)
            ORDER BY n
            """, logger: logger)
    }

    /// A stored outbox row: the wire form, or the shape releases before the wire form
    /// stored (Swift's synthesized Codable of `OutboxMessage`), so that an upgrade with
    /// rows still waiting publishes them. `nil`: neither.
    static func outboxMessage(_ payload: String) -> OutboxMessage? {
        if let message = try? JobMessageCodec.decodeOutbox(Array(payload.utf8)) { return message }
        return try? JSONDecoder().decode(OutboxMessage.self, from: Data(payload.utf8))
    }

    public func relay(limit: Int, _ publish: @Sendable ([OutboxMessage]) async throws -> Void) async throws -> Int {
        try await withoutActuallyEscaping(publish) { publish in try await relay(limit: limit, escaping: publish) }
    }

    private func relay(limit: Int, escaping publish: @escaping @Sendable ([OutboxMessage]) async throws -> Void) async throws
        -> Int
    {
        try await client.transaction(logger: logger) { connection in
            var ids: [Int64] = []
            var messages: [OutboxMessage] = []
            let rows = try await connection.query(
                """
                SELECT id, payload::text FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """, logger: logger)
            var undecodable: [Int64] = []
            for try await (id, payload) in rows.decode((Int64, String).self) {
                ids.append(id)
                if let message = Self.outboxMessage(payload) {
                    messages.append(message)
                } else {
                    undecodable.append(id)
                }
            }
            guard !ids.isEmpty else { return 0 }
            if !undecodable.isEmpty {
                // A row no version of this code can read must not hold up the rows behind
                // it: it is marked published (so skipped) and stays in the table for a look.
                logger.error("outbox: rows that cannot be decoded are skipped", metadata: ["ids": "\(undecodable)"])
            }
            if !messages.isEmpty { try await publish(messages) }
            _ = try await connection.query("UPDATE outbox SET published_at = now() WHERE id = ANY(\(ids))", logger: logger)
            return ids.count
        }
    }

    public func backlog(now: Date) async throws -> (count: Int, oldestAgeSeconds: Double) {
        try await client.connection(logger: logger) { connection in
            let row = try await connection.query(
                """
                SELECT count(*), min(created_at) FROM outbox WHERE published_at IS NULL
                """, logger: logger
            ).decode((Int, Date?).self).first { _ in true }
            let oldest = row?.1.map { max(0, now.timeIntervalSince($0)) } ?? 0
            return (row?.0 ?? 0, oldest)
        }
    }

    public func purgePublished(before cutoff: Date) async throws -> Int {
        try await client.connection(logger: logger) { connection in
            try await connection.query(
                """
                WITH gone AS (DELETE FROM outbox WHERE published_at < \(cutoff) RETURNING 1) SELECT count(*) FROM gone
                """, logger: logger
            ).decode(Int.self).first { _ in true } ?? 0
        }
    }

    static func jobs(_ query: PostgresQuery, _ connection: PostgresConnection, _ logger: Logger) async throws -> [Job] {
        var jobs: [Job] = []
        for try await row in try await connection.query(query, logger: logger) { jobs.append(try JobRows.decode(row)) }
        return jobs
    }
}
