import Domain
import Foundation
import Infrastructure
import Ports
import PostgresNIO
import Testing

/// What only the PostgreSQL job store reads: rows written by another release.
@Suite("PostgreSQL jobs: rows of another release")
struct PostgresRowTests {
    @Test("a status this release does not know is an error, never read as 'failed'", .enabled(if: PostgresFixture.url != nil))
    func unknownStatus() async throws {
        try await PostgresFixture.withSchema { client in
            let store = PostgresJobStore(client: client, outputLimitBytes: 64, logger: PostgresFixture.logger)
            let job = JobFixtures.job(owner: UserID(UUID()))
            _ = try await store.create(job, dispatch: nil, unfinishedLimit: 10)
            _ = try await client.query("ALTER TABLE jobs DROP CONSTRAINT jobs_status_check", logger: PostgresFixture.logger)
            _ = try await client.query(
                "UPDATE jobs SET status = 'paused' WHERE id = \(job.id.uuid)", logger: PostgresFixture.logger)
            await #expect(throws: (any Error).self) { try await store.job(id: job.id) }
        }
    }
}
