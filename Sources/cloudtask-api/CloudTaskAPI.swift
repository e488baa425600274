import ArgumentParser
import Runtime

/// `cloudtask-api`: the API server and its operator commands.
@main
struct CloudTaskAPI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cloudtask-api",
        abstract: "The CloudTask API server.",
        subcommands: [Serve.self, Migrate.self, SetRole.self, Audit.self, MFA.self],
        defaultSubcommand: Serve.self)
}
