import Application
public import Domain
import Foundation
import Logging
public import Ports
import PostgresNIO

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
/// transaction. Each owner's creates take turns (an advisory lock per owner, taken in
/// sorted order so that two batches cannot deadlock); inside, `JobCreationRules`
/// decides each create in arrival order, seeing those accepted earlier in the batch.
struct JobCreationWriter: Sendable {
    /// A parameter per column of each job row; PostgreSQL takes at most 65,535 a statement.
    static let maxBatch = min(256, 65_535 / JobRows.table.count)
    let client: PostgresClient
    let logger: Logger

    func create(_ request: JobCreationRequest) async throws -> JobCreation {
        try await create([request])[0]
    }

    func create(_ requests: [JobCreationRequest]) async throws -> [JobCreation] {
        try await client.transaction(logger: logger) { connection in
            let owners = Array(Set(requests.map { $0.job.ownerID.description })).sorted()
            _ = try await connection.query(
                """
                SELECT pg_advisory_xact_lock(hashtextextended(owner, 7)) FROM unnest(\(owners)::text[]) WITH ORDINALITY AS o(owner, n) ORDER BY n
                """, logger: logger)
            var rules = JobCreationRules(
                earlier: try await existingKeys(requests, connection),
                unfinished: try await unfinishedCounts(owners, connection))
            var outcomes: [JobCreation] = []
            var accepted: [JobCreationRequest] = []
            for request in requests {
                let outcome = rules.decide(request.job, unfinishedLimit: request.unfinishedLimit)
                if case .created = outcome { accepted.append(request) }
                outcomes.append(outcome)
            }
            guard !accepted.isEmpty else { return outcomes }
            _ = try await connection.query(try JobRows.insert(accepted.map(\.job)), logger: logger)
            _ = try await connection.query(
                """
                INSERT INTO job_outputs (job_id) SELECT unnest(\(accepted.map(\.job.id.uuid))::uuid[])
                """, logger: logger)
            try await PostgresJobStore.enqueue(accepted.compactMap(\.dispatch), connection, logger)
            return outcomes
        }
    }

    /// The jobs already made with the batch's Idempotency-Keys.
    private func existingKeys(_ requests: [JobCreationRequest], _ connection: PostgresConnection) async throws -> [Job] {
        let keyed = requests.filter { $0.job.idempotencyKey != nil }
        guard !keyed.isEmpty else { return [] }
        return try await PostgresJobStore.jobs(
            """
            SELECT \(unescaped: JobRows.columns) FROM jobs
            WHERE (owner_id, idempotency_key) IN (
                SELECT * FROM unnest(\(keyed.map(\.job.ownerID.uuid))::uuid[], \(keyed.map { $0.job.idempotencyKey ?? "" })::text[]))
            """, connection, logger)
    }

    private func unfinishedCounts(_ owners: [String], _ connection: PostgresConnection) async throws -> [UserID: Int] {
        var counts: [UserID: Int] = [:]
        let rows = try await connection.query(
            """
            SELECT owner_id, count(*) FROM jobs
            WHERE owner_id = ANY(\(owners.compactMap(UUID.init(uuidString:)))::uuid[]) AND status IN ('scheduled', 'queued', 'running')
            GROUP BY owner_id
            """, logger: logger)
        for try await (owner, count) in rows.decode((UUID, Int).self) { counts[UserID(owner)] = count }
        return counts
    }
}
