import Domain
import Foundation
import PostgresNIO

/// How a job is laid out in the `jobs` table: the column list, the decoding, and the
/// full-row update, kept together so they cannot disagree.
enum JobRows {
    static let columns = """
        id, owner_id, status, command, args, priority, timeout_seconds, max_attempts, attempts, deliveries, worker_id, \
        run_at, created_at, updated_at, started_at, finished_at, stop_requested_at, exit_code, failure_code, failure_message, \
        idempotency_key, requested_run_at, version
        """

    static func decode(_ row: PostgresRow) throws -> Job {
        let cells = row.makeRandomAccess()
        let failureCode = try cells["failure_code"].decode(String?.self)
        let failure = try failureCode.flatMap(JobFailure.Code.init(rawValue:)).map {
            JobFailure(code: $0, message: try cells["failure_message"].decode(String?.self) ?? "")
        }
        return Job(
            restoring: JobID(try cells["id"].decode(UUID.self)), ownerID: UserID(try cells["owner_id"].decode(UUID.self)),
            status: JobStatus(rawValue: try cells["status"].decode(String.self)) ?? .failed,
            command: try cells["command"].decode(String.self), args: try cells["args"].decode([String].self),
            priority: try cells["priority"].decode(Int.self), timeoutSeconds: try cells["timeout_seconds"].decode(Int.self),
            maxAttempts: try cells["max_attempts"].decode(Int.self), attempts: try cells["attempts"].decode(Int.self),
            deliveries: try cells["deliveries"].decode(Int.self), workerID: try cells["worker_id"].decode(String?.self),
            runAt: try cells["run_at"].decode(Date.self), createdAt: try cells["created_at"].decode(Date.self),
            updatedAt: try cells["updated_at"].decode(Date.self), startedAt: try cells["started_at"].decode(Date?.self),
            finishedAt: try cells["finished_at"].decode(Date?.self), stopRequestedAt: try cells["stop_requested_at"].decode(Date?.self),
            exitCode: try cells["exit_code"].decode(Int?.self), failure: failure,
            idempotencyKey: try cells["idempotency_key"].decode(String?.self),
            requestedRunAt: try cells["requested_run_at"].decode(Date?.self), version: try cells["version"].decode(Int.self))
    }

    static func insert(_ job: Job) -> PostgresQuery {
        """
        INSERT INTO jobs (\(unescaped: columns)) VALUES (
            \(job.id.uuid), \(job.ownerID.uuid), \(job.status.rawValue), \(job.command), \(job.args), \(job.priority),
            \(job.timeoutSeconds), \(job.maxAttempts), \(job.attempts), \(job.deliveries), \(job.workerID), \(job.runAt),
            \(job.createdAt), \(job.updatedAt), \(job.startedAt), \(job.finishedAt), \(job.stopRequestedAt), \(job.exitCode),
            \(job.failure?.code.rawValue), \(job.failure?.message), \(job.idempotencyKey), \(job.requestedRunAt), \(job.version))
        """
    }

    /// Writes every mutable column (the state machine may have changed any of them).
    static func update(_ job: Job) -> PostgresQuery {
        """
        UPDATE jobs SET status = \(job.status.rawValue), attempts = \(job.attempts), deliveries = \(job.deliveries),
            worker_id = \(job.workerID), run_at = \(job.runAt), updated_at = \(job.updatedAt), started_at = \(job.startedAt),
            finished_at = \(job.finishedAt), stop_requested_at = \(job.stopRequestedAt), exit_code = \(job.exitCode),
            failure_code = \(job.failure?.code.rawValue), failure_message = \(job.failure?.message), version = \(job.version)
        WHERE id = \(job.id.uuid)
        """
    }
}
