import APIModels
import ArgumentParser
import Foundation

/// The token of a mailed link: the whole link as pasted (`…#/reset-password?token=…`),
/// or the token alone.
func linkToken(_ text: String) -> String {
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard let range = trimmed.range(of: "token=") else { return trimmed }
    return String(trimmed[range.upperBound...].prefix { $0 != "&" && !$0.isWhitespace })
}

struct ResetPassword: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset-password",
        abstract: "Ask for a reset link (--email), or set a new password with the mailed link (--token).",
        discussion: """
            The new password is read like the login's: CLOUDTASK_PASSWORD, a prompt, or stdin.
            Setting it ends every session of the account; log in again afterwards.
            """)
    @OptionGroup var options: GlobalOptions
    @Option(help: "Mail a reset link to this address (if it has an account).") var email: String?
    @Option(help: "The mailed link, or its token.") var token: String?

    func validate() throws {
        if (email == nil) == (token == nil) { throw ValidationError("give exactly one of --email and --token") }
    }

    func run() async throws {
        try await reporting {
            let client = try options.client()
            if let email {
                let response = try await client.send("POST", "/api/v1/auth/password-reset", json: ["email": email]).expect(202)
                if options.json { return printJSON(response) }
                print("If \(email) has an account, a link to reset its password is on its way (valid 30 minutes).")
                return
            }
            let password = try readPassword(prompt: "New password: ")
            let response = try await client.send(
                "POST", "/api/v1/auth/password-reset/confirm", json: ["token": linkToken(token ?? ""), "new_password": password])
            if response.status == 400 {
                throw CLIError(
                    description: "the link is invalid, expired or already used, or the password is not 8 to 72 bytes")
            }
            _ = try response.expect(204)
            if !options.json { print("Password set; every session of the account was ended. Log in again.") }
        }
    }
}

struct VerifyEmail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-email", abstract: "Confirm your address with the link mailed at registration.")
    @OptionGroup var options: GlobalOptions
    @Option(help: "The mailed link, or its token.") var token: String

    func run() async throws {
        try await reporting {
            let response = try await options.client().send(
                "POST", "/api/v1/auth/verify-email", json: ["token": linkToken(token)])
            if response.status == 400 { throw CLIError(description: "the link is invalid, expired or already used") }
            _ = try response.expect(204)
            if !options.json { print("Address confirmed.") }
        }
    }
}
