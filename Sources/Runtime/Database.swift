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
    public static func withClient<T: Sendable>(_ client: PostgresClient, _ body: @Sendable () async throws -> T) async throws -> T
    {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    /// Waits until PostgreSQL answers (retrying with backoff, saying why), then checks
    /// that its schema is the one this build needs: the gate of every process on
    /// PostgreSQL (`Adapters.gate`), so nothing serves or consumes before. A schema that
    /// is behind (or ahead) is logged in one line and thrown as `MigrationError`, for the
    /// executable to exit with status 1.
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
                logger.critical("\(error.description)")
                throw error
            } catch {
                logger.warning(
                    "PostgreSQL is not answering yet; retrying",
                    metadata: [
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
