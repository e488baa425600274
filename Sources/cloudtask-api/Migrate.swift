import ArgumentParser
import Foundation
import Infrastructure
import Logging
import Runtime

/// `cloudtask-api migrate`: applies pending migrations (safe to run from several
/// instances at once; they take turns).
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations.")

    @Option(help: "The directory of numbered SQL files.")
    var migrations = "migrations"

    func run() async throws {
        let config = try loadConfiguration(mode: .database)
        LineLogHandler.bootstrap(level: config.logLevel, json: config.logFormat == .json)
        let logger = Logger(label: "cloudtask-migrate")
        let files: [Migration]
        do { files = try Migration.load(directory: migrations) } catch {
            logger.critical("cannot read migrations", metadata: ["directory": "\(migrations)", "error": "\(error)"])
            throw ExitCode(1)
        }
        let client = try Database.client(config)
        do {
            let applied = try await Database.withClient(client) {
                try await PostgresMigrator(client: client, logger: logger).migrate(files)
            }
            logger.notice(
                applied.isEmpty ? "the schema is up to date" : "migrations applied", metadata: ["versions": "\(applied)"])
        } catch let error as MigrationError {
            logger.critical("\(error.description)")
            throw ExitCode(1)
        }
    }
}
