import ArgumentParser
import Foundation
import Hummingbird
import Infrastructure
import Logging

/// Serves the API. `--embedded` runs the API and the consumers in one process on
/// in-memory adapters: a first look with nothing installed.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the API (the default command).")

    @Flag(help: "Run everything in this process, in memory (data is lost on exit).")
    var embedded = false

    @Option(help: "Jobs run at once by the embedded executor.")
    var concurrency = 4

    func run() async throws {
        let configuration = try loadConfiguration(mode: embedded ? .embedded : .production)
        LineLogHandler.bootstrap(level: configuration.logLevel, json: configuration.logFormat == .json)
        let logger = Logger(label: "cloudtask-api")
        guard embedded else {
            logger.critical("only --embedded is available in this build: the PostgreSQL, Redis and RabbitMQ adapters are not built yet")
            throw ExitCode(2)
        }
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 64") }
        let app = EmbeddedMode.build(configuration: configuration, concurrency: concurrency, logger: logger)
        try await app.runService()
    }
}

/// Reads and validates the configuration; on any problem prints one line per setting
/// and exits, before anything starts.
func loadConfiguration(mode: ConfigurationLoader.Mode) throws -> CloudTaskConfiguration {
    do {
        var loader = try ConfigurationLoader(environment: ProcessInfo.processInfo.environment)
        return try loader.load(mode: mode)
    } catch {
        FileHandle.standardError.write(Data(("configuration error:\n" + error.problems.map { "  " + $0 }.joined(separator: "\n") + "\n").utf8))
        throw ExitCode(78)  // EX_CONFIG
    }
}
