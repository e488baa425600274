public import Domain
import Foundation
import Logging
import PostgresNIO
public import Ports

/// One call of `JobRepository.create`, as the batching queue carries it.
struct JobCreationRequest: Sendable {
    let job: Job
    let dispatch: OutboxMessage?
    let unfinishedLimit: Int
}

extension PostgresJobStore {
    public func create(_ job: Job, dispatch: OutboxMessage?, unfinishedLimit: Int) async throws -> JobCreation {
        try await creations.submit(JobCreationRequest(job: job, dispatch: dispatch, unfinishedLimit: unfinishedLimit))
    }
}

/// Writes new jobs, their output rows and their dispatches: a batch of creates in one
/// transaction. The rules are those of a single create, applied in arrival order:
/// each owner's creates take turns (an advisory lock per owner, taken in sorted order
/// so that two batches cannot deadlock), an Idempotency-Key already used — before, or
/// earlier in the same batch — answers the earlier job, and the limit of unfinished
/// jobs counts the jobs accepted earlier in the batch.
struct JobCreationWriter: Sendable {
    /// 23 parameters per job row; PostgreSQL takes at most 65,535 per statement.
    static let maxBatch = 256
    let client: PostgresClient
    let logger: Logger

    func create(_ request: JobCreationRequest) async throws -> JobCreation {
        try await create([request])[0]
    }

    func create(_ requests: [JobCreationRequest]) async throws -> [JobCreation] {
        try await client.transaction(logger: logger) { connection in
            let owners = Array(Set(requests.map { $0.job.ownerID.description })).sorted()
            _ = try await connection.query("""
                SELECT pg_advisory_xact_lock(hashtextextended(owner, 7)) FROM unnest(\(owners)::text[]) WITH ORDINALITY AS o(owner, n) ORDER BY n
                """, logger: logger)
            let earlier = try await existingKeys(requests, connection)
            var unfinished = try await unfinishedCounts(owners, connection)
            var outcomes: [JobCreation] = []
            var accepted: [JobCreationRequest] = []
            var keysInBatch: [String: Job] = [:]
            for request in requests {
                let job = request.job
                if let key = job.idempotencyKey {
                    let slot = "\(job.ownerID)\u{0}\(key)"
                    if let existing = earlier[slot] ?? keysInBatch[slot] {
                        outcomes.append(.existing(existing))
                        continue
                    }
                    keysInBatch[slot] = job
                }
                let count = unfinished[job.ownerID.uuid, default: 0]
                if count >= request.unfinishedLimit {
                    outcomes.append(.tooManyUnfinished(limit: request.unfinishedLimit))
                    continue
                }
                unfinished[job.ownerID.uuid] = count + (job.status.isFinal ? 0 : 1)
                accepted.append(request)
                outcomes.append(.created(job))
            }
            guard !accepted.isEmpty else { return outcomes }
            _ = try await connection.query(try JobRows.insert(accepted.map(\.job)), logger: logger)
            _ = try await connection.query("""
                INSERT INTO job_outputs (job_id) SELECT unnest(\(accepted.map(\.job.id.uuid))::uuid[])
                """, logger: logger)
            try await PostgresJobStore.enqueue(accepted.compactMap(\.dispatch), connection, logger)
            return outcomes
        }
    }

    /// The jobs already made with the batch's Idempotency-Keys, by owner and key.
    private func existingKeys(_ requests: [JobCreationRequest], _ connection: PostgresConnection) async throws -> [String: Job] {
        let keyed = requests.filter { $0.job.idempotencyKey != nil }
        guard !keyed.isEmpty else { return [:] }
        let jobs = try await PostgresJobStore.jobs("""
            SELECT \(unescaped: JobRows.columns) FROM jobs
            WHERE (owner_id, idempotency_key) IN (
                SELECT * FROM unnest(\(keyed.map(\.job.ownerID.uuid))::uuid[], \(keyed.map { $0.job.idempotencyKey ?? "" })::text[]))
            """, connection, logger)
        var byKey: [String: Job] = [:]
        for job in jobs { if let key = job.idempotencyKey { byKey["\(job.ownerID)\u{0}\(key)"] = job } }
        return byKey
    }

    private func unfinishedCounts(_ owners: [String], _ connection: PostgresConnection) async throws -> [UUID: Int] {
        var counts: [UUID: Int] = [:]
        let rows = try await connection.query("""
            SELECT owner_id, count(*) FROM jobs
            WHERE owner_id = ANY(\(owners.compactMap(UUID.init(uuidString:)))::uuid[]) AND status IN ('scheduled', 'queued', 'running')
            GROUP BY owner_id
            """, logger: logger)
        for try await (owner, count) in rows.decode((UUID, Int).self) { counts[owner] = count }
        return counts
    }
}
