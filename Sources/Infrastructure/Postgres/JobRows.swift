import Domain
import Foundation
import PostgresNIO

/// How a job is laid out in the `jobs` table: the column list, the decoding, and the
/// full-row update, kept together so they cannot disagree.
enum JobRows {
    /// One column of `jobs`: its name, its SQL type, whether a change of the job may
    /// change it (the full-row update writes those), and how the job's value is bound.
    /// The column list, the insert and the update are all driven by this one table.
    struct Column: Sendable {
        let name: String
        let type: String
        let mutable: Bool
        let bind: @Sendable (Job, inout PostgresBindings) throws -> Void

        init(
            _ name: String, _ type: String, mutable: Bool = false,
            _ bind: @escaping @Sendable (Job, inout PostgresBindings) throws -> Void
        ) {
            self.name = name
            self.type = type
            self.mutable = mutable
            self.bind = bind
        }
    }

    static let table: [Column] = [
        Column("id", "uuid") { try $1.append($0.id.uuid) },
        Column("owner_id", "uuid") { try $1.append($0.ownerID.uuid) },
        Column("status", "text", mutable: true) { try $1.append($0.status.rawValue) },
        Column("command", "text") { try $1.append($0.command) },
        Column("args", "text[]") { try $1.append($0.args) },
        Column("priority", "int") { try $1.append($0.priority) },
        Column("timeout_seconds", "int") { try $1.append($0.timeoutSeconds) },
        Column("max_attempts", "int") { try $1.append($0.maxAttempts) },
        Column("attempts", "int", mutable: true) { try $1.append($0.attempts) },
        Column("deliveries", "int", mutable: true) { try $1.append($0.deliveries) },
        Column("worker_id", "text", mutable: true) { try $1.appendOptional($0.workerID) },
        Column("run_at", "timestamptz", mutable: true) { try $1.append($0.runAt) },
        Column("created_at", "timestamptz") { try $1.append($0.createdAt) },
        Column("updated_at", "timestamptz", mutable: true) { try $1.append($0.updatedAt) },
        Column("started_at", "timestamptz", mutable: true) { try $1.appendOptional($0.startedAt) },
        Column("finished_at", "timestamptz", mutable: true) { try $1.appendOptional($0.finishedAt) },
        Column("stop_requested_at", "timestamptz", mutable: true) { try $1.appendOptional($0.stopRequestedAt) },
        Column("exit_code", "int", mutable: true) { try $1.appendOptional($0.exitCode) },
        Column("failure_code", "text", mutable: true) { try $1.appendOptional($0.failure?.code.rawValue) },
        Column("failure_message", "text", mutable: true) { try $1.appendOptional($0.failure?.message) },
        Column("idempotency_key", "text") { try $1.appendOptional($0.idempotencyKey) },
        Column("requested_run_at", "timestamptz") { try $1.appendOptional($0.requestedRunAt) },
        Column("version", "int", mutable: true) { try $1.append($0.version) },
        Column("name", "text") { try $1.appendOptional($0.name) },
        Column("usage_cpu_user_seconds", "double precision", mutable: true) { try $1.appendOptional($0.usage?.cpuUserSeconds) },
        Column("usage_cpu_system_seconds", "double precision", mutable: true) {
            try $1.appendOptional($0.usage?.cpuSystemSeconds)
        },
        Column("usage_memory_peak_bytes", "bigint", mutable: true) { try $1.appendOptional($0.usage?.memoryPeakBytes) },
        Column("usage_tasks_peak", "int", mutable: true) { try $1.appendOptional($0.usage?.tasksPeak) },
        Column("usage_io_read_bytes", "bigint", mutable: true) { try $1.appendOptional($0.usage?.ioReadBytes) },
        Column("usage_io_write_bytes", "bigint", mutable: true) { try $1.appendOptional($0.usage?.ioWriteBytes) },
        Column("limit_memory_bytes", "bigint") { try $1.appendOptional($0.limits?.memoryBytes) },
        Column("limit_cpu", "double precision") { try $1.appendOptional($0.limits?.cpu) },
        Column("limit_tasks", "int") { try $1.appendOptional($0.limits?.tasks) },
        Column("notify", "boolean") { try $1.append($0.notify) },
        Column("artifacts", "text[]") { try $1.append($0.artifacts) },
        Column("trace_parent", "text") { try $1.appendOptional($0.trace?.header) },
        Column("input_files", "uuid[]") { try $1.append($0.inputs.map(\.file)) },
        Column("input_paths", "text[]") { try $1.append($0.inputs.map(\.path)) },
    ]

    static let columns = table.map(\.name).joined(separator: ", ")
    private static let mutableColumns = table.filter(\.mutable)

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
            finishedAt: try cells["finished_at"].decode(Date?.self),
            stopRequestedAt: try cells["stop_requested_at"].decode(Date?.self),
            exitCode: try cells["exit_code"].decode(Int?.self), failure: failure,
            idempotencyKey: try cells["idempotency_key"].decode(String?.self),
            requestedRunAt: try cells["requested_run_at"].decode(Date?.self), version: try cells["version"].decode(Int.self),
            name: try cells["name"].decode(String?.self), usage: try usage(cells), limits: try limits(cells),
            notify: try cells["notify"].decode(Bool.self), artifacts: try cells["artifacts"].decode([String].self),
            inputs: zip(try cells["input_files"].decode([UUID].self), try cells["input_paths"].decode([String].self))
                .map { JobInput(file: $0, path: $1) },
            // A value that is not a trace context is no trace: tracing never fails a read.
            trace: try cells["trace_parent"].decode(String?.self).flatMap { TraceParent(header: $0) })
    }

    /// The limit columns: all null (a job from before limits) or all set.
    private static func limits(_ cells: PostgresRandomAccessRow) throws -> RunLimits? {
        guard let memory = try cells["limit_memory_bytes"].decode(Int?.self),
            let cpu = try cells["limit_cpu"].decode(Double?.self), let tasks = try cells["limit_tasks"].decode(Int?.self)
        else { return nil }
        return RunLimits(memoryBytes: memory, cpu: cpu, tasks: tasks)
    }

    /// The usage columns: all null (no measured run) or all set.
    private static func usage(_ cells: PostgresRandomAccessRow) throws -> ResourceUsage? {
        guard let user = try cells["usage_cpu_user_seconds"].decode(Double?.self) else { return nil }
        return ResourceUsage(
            cpuUserSeconds: user, cpuSystemSeconds: try cells["usage_cpu_system_seconds"].decode(Double?.self) ?? 0,
            memoryPeakBytes: try cells["usage_memory_peak_bytes"].decode(Int?.self) ?? 0,
            tasksPeak: try cells["usage_tasks_peak"].decode(Int?.self) ?? 0,
            ioReadBytes: try cells["usage_io_read_bytes"].decode(Int?.self) ?? 0,
            ioWriteBytes: try cells["usage_io_write_bytes"].decode(Int?.self) ?? 0)
    }

    /// One INSERT for all of `jobs` (a parameter per column and job).
    static func insert(_ jobs: [Job]) throws -> PostgresQuery {
        try rows(of: jobs, table) { values in "INSERT INTO jobs (\(columns)) VALUES " + values }
    }

    /// Writes every mutable column of each job (the state machine may have changed any
    /// of them), all in one statement.
    static func update(_ jobs: [Job]) throws -> PostgresQuery {
        let names = mutableColumns.map(\.name)
        return try rows(of: jobs, [table[0]] + mutableColumns) { values in
            """
            UPDATE jobs AS j SET \(names.map { "\($0) = v.\($0)" }.joined(separator: ", "))
            FROM (VALUES \(values)) AS v(id, \(names.joined(separator: ", ")))
            WHERE j.id = v.id
            """
        }
    }

    /// `(…), (…)` with one typed parameter per column of each job, and the statement
    /// `sql` makes of them. PostgreSQL takes at most 65,535 parameters a statement.
    private static func rows(of jobs: [Job], _ columns: [Column], _ sql: (String) -> String) throws -> PostgresQuery {
        var binds = PostgresBindings(capacity: jobs.count * columns.count)
        var rows: [String] = []
        rows.reserveCapacity(jobs.count)
        for job in jobs {
            let first = binds.count + 1
            for column in columns { try column.bind(job, &binds) }
            rows.append(
                "(" + columns.enumerated().map { "$\(first + $0.offset)::\($0.element.type)" }.joined(separator: ", ") + ")")
        }
        return PostgresQuery(unsafeSQL: sql(rows.joined(separator: ", ")), binds: binds)
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
        return PostgresQuery(
            unsafeSQL: """
                INSERT INTO job_outputs (job_id, stdout, stderr, truncated) VALUES \(rows.joined(separator: ", "))
                ON CONFLICT (job_id) DO UPDATE SET stdout = excluded.stdout, stderr = excluded.stderr, truncated = excluded.truncated
                """, binds: binds)
    }
}

extension PostgresBindings {
    /// A parameter that may be NULL.
    mutating func appendOptional<Value: PostgresEncodable>(_ value: Value?) throws {
        if let value { try append(value) } else { appendNull() }
    }
}
