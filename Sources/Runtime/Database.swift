import Foundation
public import Infrastructure
public import Logging
public import PostgresNIO

/// PostgreSQL for the commands and the single-node mode.
public enum Database {
    public static func client(_ config: CloudTaskConfiguration) throws -> PostgresClient {
        PostgresClient(configuration: try PostgresURL.configuration(config.databaseURL ?? ""))
    }

    /// Runs `body` while the client's pool runs (for one-shot commands).
    public static func withClient<T: Sendable>(_ client: PostgresClient, _ body: @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    /// The one start-up of every process on PostgreSQL: the client's pool runs beside
    /// `body`, which starts only once PostgreSQL answers and its schema is the one this
    /// build needs; the pool stops when `body` returns. A schema that is behind (or
    /// ahead) is logged in one line and thrown as `MigrationError`, for the executable
    /// to exit with status 1 (`exitStatus(for:)`).
    public static func withReadyClient<T: Sendable>(
        _ config: CloudTaskConfiguration, logger: Logger, _ body: @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        let client = try client(config)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            do {
                try await waitUntilReady(client, logger: logger)
            } catch let error as MigrationError {
                logger.critical("\(error.description)")
                throw error
            }
            return try await body(client)
        }
    }

    /// Waits until PostgreSQL answers (retrying with backoff, saying why), then checks
    /// that its schema is the one this build needs. Nothing serves before that.
    public static func waitUntilReady(_ client: PostgresClient, logger: Logger) async throws {
        let migrator = PostgresMigrator(client: client, logger: logger)
        var delay = Duration.milliseconds(500)
        while true {
            do {
                let applied = try await migrator.appliedVersion()
                if applied < SchemaVersion.required {
                    throw MigrationError.schemaBehind(applied: applied, required: SchemaVersion.required)
                }
                if applied > SchemaVersion.required { throw MigrationError.unknownApplied(version: applied) }
                return
            } catch let error as MigrationError {
                throw error
            } catch {
                logger.warning("PostgreSQL is not answering yet; retrying", metadata: [
                    "error": "\(String(describing: error).prefix(200))", "retry_in": "\(delay)",
                ])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(15))
            }
        }
    }

    /// `SELECT 1` for readiness.
    public static func ping(_ client: PostgresClient, logger: Logger) async -> Bool {
        (try? await client.query("SELECT 1", logger: logger).decode(Int.self).first { _ in true }) == 1
    }
}
