import ArgumentParser
import Foundation

/// `cloudtask`: the command-line client. It talks to the API over HTTP only, keeps
/// its tokens in a 0600 file, and refreshes them by itself (under a file lock, so two
/// commands at once never present the same refresh token twice).
@main
struct CloudTaskCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cloudtask",
        abstract: "Run programs on CloudTask from a terminal.",
        subcommands: [
            Register.self, Login.self, Logout.self, Whoami.self, Start.self, Run.self, Status.self,
            Output.self, Stop.self, List.self, Artifacts.self, Download.self, Upload.self, MFACommand.self, ResetPassword.self,
            VerifyEmail.self,
        ])
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(help: "The API's base URL (default: $CLOUDTASK_SERVER or http://127.0.0.1:8080).")
    var server: String?

    @Flag(help: "Print the server's JSON instead of sentences.")
    var json = false

    var serverURL: String {
        let chosen = server ?? ProcessInfo.processInfo.environment["CLOUDTASK_SERVER"] ?? "http://127.0.0.1:8080"
        return chosen.hasSuffix("/") ? String(chosen.dropLast()) : chosen
    }

    func client() throws -> APIClient {
        try APIClient(server: serverURL, credentials: CredentialStore())
    }
}

/// A failure to report: printed as `Error: …` on stderr, exit status 1 (or the given one).
struct CLIError: Error, CustomStringConvertible {
    let description: String
    var exitCode: Int32 = 1
}

extension AsyncParsableCommand {
    /// Runs `body`, turning a `CLIError` into its message and exit status.
    func reporting(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("Error: \(error.description)\n".utf8))
            throw ExitCode(error.exitCode)
        }
    }
}
