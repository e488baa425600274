import Foundation
import Infrastructure
import Logging
import Ports
import PostgresNIO

/// Real PostgreSQL for the contract suites, when `CLOUDTASK_TEST_DATABASE_URL` names
/// one (`scripts/test.sh` starts a throwaway cluster and sets it). Every test gets a
/// schema of its own, migrated from `migrations/`, and dropped afterwards.
enum PostgresFixture {
    static let url = ProcessInfo.processInfo.environment["CLOUDTASK_TEST_DATABASE_URL"]
    static let logger = Logger(label: "contract-tests")

    /// Runs `body` with a client whose `search_path` is a fresh, migrated schema.
    static func withSchema(migrated: Bool = true, _ body: @Sendable (PostgresClient) async throws -> Void) async throws {
        guard let url else { return }
        let schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        var configuration = try PostgresURL.configuration(url)
        configuration.options.additionalStartupParameters = [("search_path", schema)]
        let client = PostgresClient(configuration: configuration)
        // A client's pool runs once: one run covers creating, using and dropping the schema.
        try await running(client) {
            _ = try await client.query("CREATE SCHEMA \(unescaped: schema)", logger: logger)
            do {
                if migrated { try await PostgresMigrator(client: client, logger: logger).migrate(try migrations()) }
                try await body(client)
            } catch {
                _ = try? await client.query("DROP SCHEMA \(unescaped: schema) CASCADE", logger: logger)
                throw error
            }
            _ = try await client.query("DROP SCHEMA \(unescaped: schema) CASCADE", logger: logger)
        }
    }

    static func migrations() throws -> [Migration] {
        try Migration.load(directory: FileManager.default.currentDirectoryPath + "/migrations")
    }

    /// Runs the client's connection pool around `body` (PostgresClient must be run).
    static func running(_ client: PostgresClient, _ body: () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            do {
                try await body()
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
    }

    static func adapter<Port>(_ make: @escaping @Sendable (PostgresClient) -> Port) -> [Adapter<Port>] {
        guard url != nil else { return [] }
        return [
            Adapter(name: "postgres") { body in
                try await withSchema { client in try await body(make(client)) }
            }
        ]
    }
}
