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

    /// A stored value this release does not know. A status is never guessed (a job read
    /// as `failed` that is not would be wrong, and final); an unknown failure code is
    /// read as no failure detail, since a newer release may add codes during a rollout.
    struct UnknownValue: Error, CustomStringConvertible {
        let column: String
        let value: String
        var description: String { "unknown \(column) '\(value.prefix(40))' in the jobs table" }
    }

    static func decode(_ row: PostgresRow) throws -> Job {
        let cells = row.makeRandomAccess()
        let storedStatus = try cells["status"].decode(String.self)
        guard let status = JobStatus(rawValue: storedStatus) else { throw UnknownValue(column: "status", value: storedStatus) }
        let failureCode = try cells["failure_code"].decode(String?.self)
        let failure = try failureCode.flatMap(JobFailure.Code.init(rawValue:)).map {
            JobFailure(code: $0, message: try cells["failure_message"].decode(String?.self) ?? "")
        }
        return Job(
            restoring: JobID(try cells["id"].decode(UUID.self)), ownerID: UserID(try cells["owner_id"].decode(UUID.self)),
            status: status,
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

    /// One INSERT for all of `jobs` (23 parameters a row, in the order of `columns`).
    static func insert(_ jobs: [Job]) throws -> PostgresQuery {
        var binds = PostgresBindings(capacity: jobs.count * 23)
        var rows: [String] = []
        rows.reserveCapacity(jobs.count)
        for job in jobs {
            let first = binds.count + 1
            try binds.append(job.id.uuid)
            try binds.append(job.ownerID.uuid)
            try binds.append(job.status.rawValue)
            try binds.append(job.command)
            try binds.append(job.args)
            try binds.append(job.priority)
            try binds.append(job.timeoutSeconds)
            try binds.append(job.maxAttempts)
            try binds.append(job.attempts)
            try binds.append(job.deliveries)
            try binds.appendOptional(job.workerID)
            try binds.append(job.runAt)
            try binds.append(job.createdAt)
            try binds.append(job.updatedAt)
            try binds.appendRunColumns(job)
            try binds.appendOptional(job.idempotencyKey)
            try binds.appendOptional(job.requestedRunAt)
            try binds.append(job.version)
            rows.append("(" + (first..<binds.count + 1).map { "$\($0)" }.joined(separator: ", ") + ")")
        }
        return PostgresQuery(unsafeSQL: "INSERT INTO jobs (\(columns)) VALUES " + rows.joined(separator: ", "), binds: binds)
    }

    /// Writes every mutable column of each job (the state machine may have changed any
    /// of them), all in one statement.
    static func update(_ jobs: [Job]) throws -> PostgresQuery {
        var binds = PostgresBindings(capacity: jobs.count * 14)
        var rows: [String] = []
        for job in jobs {
            let first = binds.count + 1
            try binds.append(job.id.uuid)
            try binds.append(job.status.rawValue)
            try binds.append(job.attempts)
            try binds.append(job.deliveries)
            try binds.appendOptional(job.workerID)
            try binds.append(job.runAt)
            try binds.append(job.updatedAt)
            try binds.appendRunColumns(job)
            try binds.append(job.version)
            let types = ["uuid", "text", "int", "int", "text", "timestamptz", "timestamptz", "timestamptz", "timestamptz",
                         "timestamptz", "int", "text", "text", "int"]
            rows.append("(" + types.enumerated().map { "$\(first + $0.offset)::\($0.element)" }.joined(separator: ", ") + ")")
        }
        return PostgresQuery(unsafeSQL: """
            UPDATE jobs AS j SET status = v.status, attempts = v.attempts, deliveries = v.deliveries, worker_id = v.worker_id,
                run_at = v.run_at, updated_at = v.updated_at, started_at = v.started_at, finished_at = v.finished_at,
                stop_requested_at = v.stop_requested_at, exit_code = v.exit_code, failure_code = v.failure_code,
                failure_message = v.failure_message, version = v.version
            FROM (VALUES \(rows.joined(separator: ", "))) AS v(id, status, attempts, deliveries, worker_id, run_at, updated_at,
                started_at, finished_at, stop_requested_at, exit_code, failure_code, failure_message, version)
            WHERE j.id = v.id
            """, binds: binds)
    }

    /// Writes the outputs whole, inserting the rows that are missing, in one statement.
    static func upsertOutputs(_ outputs: [JobID: JobOutput]) throws -> PostgresQuery {
        var binds = PostgresBindings(capacity: outputs.count * 4)
        var rows: [String] = []
        for (id, output) in outputs.sorted(by: { $0.key.uuid.uuidString < $1.key.uuid.uuidString }) {
            let first = binds.count + 1
            try binds.append(id.uuid)
            try binds.append(output.stdout)
            try binds.append(output.stderr)
            try binds.append(output.truncated)
            rows.append("($\(first)::uuid, $\(first + 1)::text, $\(first + 2)::text, $\(first + 3)::boolean)")
        }
        return PostgresQuery(unsafeSQL: """
            INSERT INTO job_outputs (job_id, stdout, stderr, truncated) VALUES \(rows.joined(separator: ", "))
            ON CONFLICT (job_id) DO UPDATE SET stdout = excluded.stdout, stderr = excluded.stderr, truncated = excluded.truncated
            """, binds: binds)
    }
}

extension PostgresBindings {
    /// started_at, finished_at, stop_requested_at, exit_code, failure_code, failure_message:
    /// in this order in both the insert and the update.
    mutating func appendRunColumns(_ job: Job) throws {
        try appendOptional(job.startedAt)
        try appendOptional(job.finishedAt)
        try appendOptional(job.stopRequestedAt)
        try appendOptional(job.exitCode)
        try appendOptional(job.failure?.code.rawValue)
        try appendOptional(job.failure?.message)
    }

    /// A parameter that may be NULL.
    mutating func appendOptional<Value: PostgresEncodable>(_ value: Value?) throws {
        if let value { try append(value) } else { appendNull() }
    }
}
