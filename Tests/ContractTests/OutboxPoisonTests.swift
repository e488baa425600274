import Domain
import Foundation
import Infrastructure
import Ports
import PostgresNIO
import Testing

/// What only the PostgreSQL outbox can hold: a row whose payload no version of the code
/// can decode (written by hand, by an older or newer release). It must not stop the
/// relay for every job behind it.
@Suite("PostgreSQL outbox: poison rows")
struct OutboxPoisonTests {
    @Test(
        "a row that cannot be decoded is skipped (marked published), and the rows behind it go out",
        .enabled(if: PostgresFixture.url != nil))
    func undecodableRow() async throws {
        try await PostgresFixture.withSchema { client in
            let store = PostgresJobStore(client: client, outputLimitBytes: 64, logger: PostgresFixture.logger)
            _ = try await client.query(
                """
                INSERT INTO outbox (job_id, payload) VALUES (\(UUID()), '{"kind":"from-another-release"}'::jsonb)
                """, logger: PostgresFixture.logger)
            let job = JobFixtures.job(owner: UserID(UUID()))
            _ = try await store.create(job, dispatch: JobFixtures.dispatch(job), unfinishedLimit: 10)
            let published = PublishedMessages()
            let relayed = try await store.relay(limit: 10) { published.append($0) }
            #expect(relayed == 2)
            let messages = published.all
            #expect(messages.count == 1)
            if case .dispatch(let dispatch)? = messages.first {
                #expect(dispatch.jobID == job.id)
            } else {
                Issue.record("no dispatch")
            }
            #expect(try await store.relay(limit: 10) { _ in Issue.record("published again") } == 0)
        }
    }

    @Test(
        "a row holds the message's wire form; a row in the shape older releases stored is still published",
        .enabled(if: PostgresFixture.url != nil))
    func wireFormAndLegacyRows() async throws {
        try await PostgresFixture.withSchema { client in
            let store = PostgresJobStore(client: client, outputLimitBytes: 64, logger: PostgresFixture.logger)
            let legacy = JobFixtures.job(owner: UserID(UUID()))
            let legacyMessage = JobFixtures.dispatch(legacy)
            let legacyPayload = String(decoding: try JSONEncoder().encode(legacyMessage), as: UTF8.self)
            _ = try await client.query(
                """
                INSERT INTO outbox (job_id, payload) VALUES (\(legacy.id.uuid), CAST(\(legacyPayload) AS jsonb))
                """, logger: PostgresFixture.logger)
            let job = JobFixtures.job(owner: UserID(UUID()))
            _ = try await store.create(job, dispatch: JobFixtures.dispatch(job), unfinishedLimit: 10)
            let rows = try await client.query(
                "SELECT payload->>'type' FROM outbox WHERE job_id = \(job.id.uuid)",
                logger: PostgresFixture.logger)
            var types: [String] = []
            for try await type in rows.decode(String.self) { types.append(type) }
            #expect(types == ["job.created"])
            let published = PublishedMessages()
            #expect(try await store.relay(limit: 10) { published.append($0) } == 2)
            // Times travel with millisecond precision: compare what identifies the messages.
            #expect(published.all.map(\.jobID) == [legacy.id, job.id])
            if case .dispatch(let old)? = published.all.first, case .dispatch(let sent) = legacyMessage {
                #expect(old.eventID == sent.eventID && old.command == sent.command && old.args == sent.args)
            } else {
                Issue.record("the legacy row was not published as a dispatch")
            }
        }
    }
}
