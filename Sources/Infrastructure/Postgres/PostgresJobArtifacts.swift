import Domain
import Foundation
import Logging
import PostgresNIO

/// The `job_artifacts` table: a job's artifacts from its latest finished run.
enum PostgresJobArtifacts {
    /// One row, as the JSON the insert unpacks (`jsonb_to_recordset`): one statement for
    /// any number of jobs and artifacts, with nulls where a file was not kept.
    private struct Row: Encodable {
        let jobID: String
        let position: Int
        let name: String
        let attempt: Int
        let sizeBytes: Int64?
        let sha256: String?
        let error: String?

        enum CodingKeys: String, CodingKey {
            case jobID = "job_id"
            case sizeBytes = "size_bytes"
            case position, name, attempt, sha256, error
        }
    }

    /// Replaces each job's rows with `artifacts[job]`, in the caller's transaction.
    static func replace(_ artifacts: [JobID: [JobArtifact]], _ connection: PostgresConnection, _ logger: Logger)
        async throws
    {
        guard !artifacts.isEmpty else { return }
        let ids = artifacts.keys.map(\.uuid)
        _ = try await connection.query("DELETE FROM job_artifacts WHERE job_id = ANY(\(ids))", logger: logger)
        let rows = artifacts.flatMap { job, list in
            list.enumerated().map { position, artifact in
                Row(
                    jobID: job.description, position: position, name: artifact.name, attempt: artifact.attempt,
                    sizeBytes: artifact.size, sha256: artifact.sha256, error: artifact.error)
            }
        }
        guard !rows.isEmpty else { return }
        let payload = String(decoding: try JSONEncoder().encode(rows), as: UTF8.self)
        _ = try await connection.query(
            """
            INSERT INTO job_artifacts (job_id, position, name, attempt, size_bytes, sha256, error)
            SELECT job_id, position, name, attempt, size_bytes, sha256, error
            FROM jsonb_to_recordset(CAST(\(payload) AS jsonb))
                AS a(job_id uuid, position integer, name text, attempt integer, size_bytes bigint, sha256 text, error text)
            """, logger: logger)
    }

    static func read(_ id: JobID, _ connection: PostgresConnection, _ logger: Logger) async throws -> [JobArtifact] {
        var artifacts: [JobArtifact] = []
        let rows = try await connection.query(
            """
            SELECT name, attempt, size_bytes, sha256, error FROM job_artifacts WHERE job_id = \(id.uuid) ORDER BY position
            """, logger: logger)
        for try await (name, attempt, size, sha256, error) in rows.decode((String, Int, Int64?, String?, String?).self) {
            artifacts.append(JobArtifact(name: name, attempt: attempt, size: size, sha256: sha256, error: error))
        }
        return artifacts
    }
}
