import APIModels
import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The password: `$CLOUDTASK_PASSWORD`, else a prompt on a terminal, else stdin's first
/// line (never an argument: those show in `ps`).
func readPassword(prompt: String = "Password: ") throws -> String {
    if let password = ProcessInfo.processInfo.environment["CLOUDTASK_PASSWORD"], !password.isEmpty { return password }
    if isatty(STDIN_FILENO) != 0, let entered = getpass(prompt) { return String(cString: entered) }
    guard let line = readLine(strippingNewline: true), !line.isEmpty else {
        throw CLIError(description: "no password: set CLOUDTASK_PASSWORD or pipe it on stdin")
    }
    return line
}

func printJSON(_ response: APIClient.Response) {
    print(response.text)
}

struct Register: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create an account and log in.")
    @OptionGroup var options: GlobalOptions
    @Option(help: "Your email address.") var email: String
    @Option(help: "An optional user name (3–32 of A–Z a–z 0–9 _ . -).") var username: String?

    func run() async throws {
        try await reporting {
            let client = try options.client()
            var body: [String: Any] = ["email": email, "password": try readPassword()]
            if let username { body["username"] = username }
            let response = try await client.send("POST", "/api/v1/auth/register", json: body).expect(201)
            try await client.store(response, email: email)
            if options.json { printJSON(response) } else { print("Registered and logged in as \(email)") }
        }
    }
}

struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Log in; the tokens are kept (mode 0600) and refreshed by themselves.")
    @OptionGroup var options: GlobalOptions
    @Option(help: "Your email address.") var email: String

    func run() async throws {
        try await reporting {
            let client = try options.client()
            let response = try await client.send(
                "POST", "/api/v1/auth/login", json: ["email": email, "password": try readPassword()])
            if response.status == 401 { throw CLIError(description: "wrong email or password") }
            try await client.store(try response.expect(200), email: email)
            if options.json { printJSON(response) } else { print("Logged in as \(email)") }
        }
    }
}

struct Logout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "End this session (or, with --all, every session) and forget its tokens.")
    @OptionGroup var options: GlobalOptions
    @Flag(help: "End every session of the account.") var all = false

    func run() async throws {
        try await reporting {
            let client = try options.client()
            guard let tokens = client.credentials.tokens(for: client.server) else {
                throw CLIError(description: "not logged in to \(client.server)")
            }
            _ = try await client.authorized(
                "POST", "/api/v1/auth/logout", json: ["refresh_token": tokens.refreshToken, "all": all]
            )
            .expect(204)
            _ = try await client.credentials.update(client.server) { _ in nil }
            if !options.json { print(all ? "Logged out everywhere" : "Logged out") }
        }
    }
}

struct Whoami: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the account you are logged in as.")
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await reporting {
            let response = try await options.client().authorized("GET", "/api/v1/users/me").expect(200)
            if options.json { return printJSON(response) }
            let user = try response.decode(UserResource.self)
            print("\(user.email) (\(user.role))")
        }
    }
}
