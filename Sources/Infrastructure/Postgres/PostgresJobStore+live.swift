public import Domain
public import Foundation
public import Ports
import PostgresNIO

/// The reads behind live views and the admin overview.
extension PostgresJobStore {
    /// One statement, so the job and its output come from the same snapshot.
    public func snapshot(of id: JobID) async throws -> JobSnapshot? {
        try await client.connection(logger: logger) { connection in
            var binds = PostgresBindings()
            binds.append(id.uuid)
            let query = PostgresQuery(
                unsafeSQL: """
                    SELECT \(Self.qualifiedColumns), o.stdout AS out_stdout, o.stderr AS out_stderr, o.truncated AS out_truncated
                    FROM jobs j LEFT JOIN job_outputs o ON o.job_id = j.id WHERE j.id = $1
                    """, binds: binds)
            for try await row in try await connection.query(query, logger: logger) {
                let cells = row.makeRandomAccess()
                let output = JobOutput(
                    stdout: try cells["out_stdout"].decode(String?.self) ?? "",
                    stderr: try cells["out_stderr"].decode(String?.self) ?? "",
                    truncated: try cells["out_truncated"].decode(Bool?.self) ?? false)
                return JobSnapshot(job: try JobRows.decode(row), output: output)
            }
            return nil
        }
    }

    private static let qualifiedColumns = JobRows.columns.split(separator: ",")
        .map { "j." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", ")

    public func countsByStatus() async throws -> [JobStatus: Int] {
        try await client.connection(logger: logger) { connection in
            var counts: [JobStatus: Int] = [:]
            let rows = try await connection.query("SELECT status, count(*) FROM jobs GROUP BY status", logger: logger)
            for try await (status, count) in rows.decode((String, Int).self) {
                if let status = JobStatus(rawValue: status) { counts[status] = count }
            }
            return counts
        }
    }

    public func finishedPerMinute(since: Date) async throws -> [FinishedPerMinute] {
        try await client.connection(logger: logger) { connection in
            // The partial index jobs_finished (on finished_at) serves the range.
            let rows = try await connection.query(
                """
                SELECT date_trunc('minute', finished_at), status, count(*) FROM jobs
                WHERE status IN ('succeeded', 'failed', 'cancelled') AND finished_at >= \(since)
                GROUP BY 1, 2 ORDER BY 1, 2
                """, logger: logger)
            var result: [FinishedPerMinute] = []
            for try await (minute, status, count) in rows.decode((Date, String, Int).self) {
                if let status = JobStatus(rawValue: status) {
                    result.append(FinishedPerMinute(minute: minute, status: status, count: count))
                }
            }
            return result
        }
    }
}
