import Foundation
import Infrastructure
import PostgresNIO
import Testing

@Suite("PostgreSQL migrations", .enabled(if: PostgresFixture.url != nil, "needs CLOUDTASK_TEST_DATABASE_URL"))
struct MigrationTests {
    let logger = PostgresFixture.logger

    @Test("from empty every migration applies, in order; a second run does nothing")
    func fromEmpty() async throws {
        try await PostgresFixture.withSchema(migrated: false) { client in
            let migrator = PostgresMigrator(client: client, logger: logger)
            #expect(try await migrator.appliedVersion() == 0)
            let all = try PostgresFixture.migrations()
            #expect(try await migrator.migrate(all) == all.map(\.version))
            #expect(try await migrator.appliedVersion() == SchemaVersion.required)
            #expect(try await migrator.migrate(all) == [])
            let tables = try await client.query(
                """
                SELECT count(*) FROM information_schema.tables
                WHERE table_schema = current_schema() AND table_name IN ('users', 'sessions', 'refresh_tokens', 'jobs', 'job_outputs', 'outbox')
                """, logger: logger
            ).decode(Int.self).first { _ in true }
            #expect(tables == 6)
        }
    }

    @Test("an applied migration that was edited is refused, naming it")
    func changedFile() async throws {
        try await PostgresFixture.withSchema(migrated: false) { client in
            let migrator = PostgresMigrator(client: client, logger: logger)
            let all = try PostgresFixture.migrations()
            try await migrator.migrate(all)
            let edited = all.enumerated().map { index, migration in
                index == 0
                    ? Migration(version: migration.version, name: migration.name, sql: migration.sql + "\n-- edited\n")
                    : migration
            }
            await #expect(throws: MigrationError.changedAfterApplying(version: 1, name: all[0].name)) {
                try await migrator.migrate(edited)
            }
            await #expect(throws: MigrationError.unknownApplied(version: 1)) { try await migrator.migrate([]) }
        }
    }

    @Test("two migrations at once take turns: each file is applied exactly once")
    func concurrent() async throws {
        try await PostgresFixture.withSchema(migrated: false) { client in
            let all = try PostgresFixture.migrations()
            let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<3 { group.addTask { try await PostgresMigrator(client: client, logger: logger).migrate(all) } }
                return try await group.reduce(into: [Int]()) { $0 += $1 }
            }
            #expect(applied.sorted() == all.map(\.version))
        }
    }

    @Test("a failing migration leaves nothing half-applied")
    func failingMigration() async throws {
        try await PostgresFixture.withSchema(migrated: false) { client in
            let migrator = PostgresMigrator(client: client, logger: logger)
            let broken = Migration(
                version: 1, name: "0001_broken", sql: "CREATE TABLE half (id int);\nSELECT no_such_function();")
            await #expect(throws: (any Error).self) { try await migrator.migrate([broken]) }
            #expect(try await migrator.appliedVersion() == 0)
            let half = try await client.query("SELECT to_regclass('half') IS NOT NULL", logger: logger).decode(Bool.self).first {
                _ in true
            }
            #expect(half == false)
        }
    }

    @Test("the build's required schema version is the newest migration file")
    func requiredVersion() throws {
        #expect(try PostgresFixture.migrations().map(\.version).max() == SchemaVersion.required)
    }

    @Test("with 100,000 jobs the list and due-jobs queries use their indexes")
    func plans() async throws {
        try await PostgresFixture.withSchema { client in
            _ = try await client.query(
                """
                INSERT INTO jobs (id, owner_id, status, command, args, priority, timeout_seconds, max_attempts, attempts, deliveries,
                                  run_at, created_at, updated_at, version)
                SELECT gen_random_uuid(), ('00000000-0000-0000-0000-' || lpad((n % 1000)::text, 12, '0'))::uuid,
                       (ARRAY['scheduled', 'queued', 'succeeded', 'failed'])[1 + n % 4], 'echo', ARRAY['x'], 0, 300, 1, 0, 0,
                       now() + (n % 100) * interval '1 minute', now() - n * interval '1 second', now(), 1
                FROM generate_series(1, 100000) AS n
                """, logger: logger)
            _ = try await client.query("ANALYZE jobs", logger: logger)
            func plan(_ sql: String) async throws -> String {
                var lines: [String] = []
                for try await line in try await client.query(PostgresQuery(unsafeSQL: "EXPLAIN " + sql), logger: logger).decode(
                    String.self)
                {
                    lines.append(line)
                }
                return lines.joined(separator: "\n")
            }
            let owner = "'00000000-0000-0000-0000-000000000007'"
            let list = try await plan("SELECT * FROM jobs WHERE owner_id = \(owner) ORDER BY created_at DESC, id DESC LIMIT 21")
            #expect(list.contains("jobs_owner_newest"), "\(list)")
            let page = try await plan(
                """
                SELECT * FROM jobs WHERE owner_id = \(owner) AND (created_at, id) < (now(), gen_random_uuid())
                ORDER BY created_at DESC, id DESC LIMIT 21
                """)
            #expect(page.contains("jobs_owner_newest"), "\(page)")
            let due = try await plan(
                "SELECT * FROM jobs WHERE status = 'scheduled' AND run_at <= now() ORDER BY run_at LIMIT 500 FOR UPDATE SKIP LOCKED"
            )
            #expect(due.contains("jobs_due"), "\(due)")
            let all = try await plan("SELECT * FROM jobs ORDER BY created_at DESC, id DESC LIMIT 21")
            #expect(all.contains("jobs_newest"), "\(all)")
        }
    }
}
