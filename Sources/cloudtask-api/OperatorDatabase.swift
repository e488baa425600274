import Foundation
import Infrastructure
import Logging
import PostgresNIO
import Runtime

/// What the operator commands on the database share (`set-role`, `audit verify`, `mfa
/// reseal`): the configuration, the log, a client run around `body` once PostgreSQL
/// answers with this build's schema.
enum OperatorDatabase {
    static func run<T: Sendable>(
        label: String, _ body: @escaping @Sendable (CloudTaskConfiguration, PostgresClient, Logger) async throws -> T
    ) async throws -> T {
        let config = try loadConfiguration(mode: .database)
        LineLogHandler.bootstrap(level: config.logLevel, json: config.logFormat == .json)
        let logger = Logger(label: label)
        let client = try Database.client(config)
        return try await Database.withClient(client) {
            try await Database.waitUntilReady(client, logger: logger)
            return try await body(config, client, logger)
        }
    }
}
