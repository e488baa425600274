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

/// The authenticator's current code: `CLOUDTASK_MFA_CODE`, else asked for on the
/// terminal, else one line of standard input (after the password's, when both are piped).
func readSecondFactor() throws -> String {
    if let code = ProcessInfo.processInfo.environment["CLOUDTASK_MFA_CODE"], !code.isEmpty { return code }
    if isatty(STDIN_FILENO) != 0 { FileHandle.standardError.write(Data("Authentication code: ".utf8)) }
    guard let line = readLine(strippingNewline: true), !line.isEmpty else {
        throw CLIError(description: "two-factor login is on: give the code (CLOUDTASK_MFA_CODE, or on stdin) or --recovery-code")
    }
    return line.trimmingCharacters(in: .whitespaces)
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
    @Option(help: "A recovery code, instead of the authenticator's code (when two-factor login is on).")
    var recoveryCode: String?

    func run() async throws {
        try await reporting {
            let client = try options.client()
            var response = try await client.send(
                "POST", "/api/v1/auth/login", json: ["email": email, "password": try readPassword()])
            // Two-factor login on: the password was right, the server asks for a code.
            if response.status == 401, let problem = try? response.decode(ProblemResource.self),
                problem.slug == "mfa-required", let token = problem.mfaToken
            {
                var body: [String: Any] = ["mfa_token": token]
                if let recoveryCode {
                    body["recovery_code"] = recoveryCode
                } else {
                    body["code"] = try readSecondFactor()
                }
                response = try await client.send("POST", "/api/v1/auth/mfa", json: body)
                if response.status == 401 { throw CLIError(description: "wrong or already used code") }
            }
            if response.status == 401 { throw CLIError(description: "wrong email or password") }
            if response.status == 403, (try? response.decode(ProblemResource.self))?.slug == "email-unverified" {
                throw CLIError(
                    description:
                        "confirm your address first: open the link mailed at registration, or run cloudtask verify-email --token <link>"
                )
            }
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
            let unconfirmed = user.emailVerified == false ? ", address not confirmed yet" : ""
            print("\(user.email) (\(user.role)\(unconfirmed))")
        }
    }
}
