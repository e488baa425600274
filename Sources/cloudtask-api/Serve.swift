import ArgumentParser
import Foundation
import Hummingbird
import Infrastructure
import Logging
import Runtime

/// Serves the API. `--embedded` runs the API and the consumers in one process on
/// in-memory adapters: a first look with nothing installed.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the API (the default command).")

    @Flag(help: "Run everything in this process, in memory (data is lost on exit).")
    var embedded = false

    @Flag(
        help: "Run everything in this process on PostgreSQL (durable; one instance only: queue, cache and limits are in memory).")
    var singleNode = false

    @Option(help: "Jobs run at once by the embedded executor; default 16 per core, 4 to 64.")
    var concurrency: Int?

    func run() async throws {
        guard !(embedded && singleNode) else { throw ValidationError("choose --embedded or --single-node, not both") }
        let concurrency = self.concurrency ?? ExecutorDefaults.concurrency
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 64") }
        let configuration = try loadConfiguration(mode: embedded ? .embedded : singleNode ? .singleNode : .production)
        LineLogHandler.bootstrap(
            level: configuration.logLevel, json: configuration.logFormat == .json,
            metadataProvider: TracingSetup.logMetadata)
        let logger = Logger(label: "cloudtask-api")
        guard TracingSetup.start(serviceName: "cloudtask-api", logger: logger) else { throw ExitCode(78) }
        MallocArenas.limit()
        ProcessMetrics.bootstrap()
        do {
            try await APIProcess.run(configuration: configuration, concurrency: concurrency, logger: logger)
        } catch is MigrationError {
            throw ExitCode(1)  // the schema is not this build's: already said in one line
        } catch let error as ConfigurationError {
            // A setting that only fails when used (a CA bundle that does not parse).
            reportConfigurationProblems(error)
            throw ExitCode(78)
        }
    }
}

/// Reads and validates the configuration; on any problem prints one line per setting
/// and exits, before anything starts.
func loadConfiguration(mode: ConfigurationLoader.Mode) throws -> CloudTaskConfiguration {
    do {
        var loader = try ConfigurationLoader(environment: ProcessInfo.processInfo.environment)
        return try loader.load(mode: mode)
    } catch {
        reportConfigurationProblems(error)
        throw ExitCode(78)  // EX_CONFIG
    }
}

/// One line per problem on standard error, under one heading.
func reportConfigurationProblems(_ error: ConfigurationError) {
    FileHandle.standardError.write(Data(error.report.utf8))
}
