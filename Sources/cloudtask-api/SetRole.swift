import ArgumentParser
import Domain
import Foundation
import Infrastructure
import Logging
import Runtime

/// `cloudtask-api set-role EMAIL ROLE`: the only way to grant a role.
struct SetRole: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-role", abstract: "Set the role of an account (admin, user, viewer).")

    @Argument(help: "The account's email.") var email: String
    @Argument(help: "admin, user or viewer.") var role: String

    func run() async throws {
        guard let role = Role(rawValue: role) else { throw ValidationError("ROLE must be admin, user or viewer") }
        let email: Email
        do { email = try Email(self.email) } catch { throw ValidationError("EMAIL is not a valid email address") }
        let updated = try await OperatorDatabase.run(label: "cloudtask-set-role") { _, client, logger in
            let now = Date()
            // An operator's command: no account did it, the entry says it came from here.
            return try? await PostgresUserRepository(client: client, logger: logger).setRole(role, forEmail: email, at: now) {
                previous, user in
                .roleChange(from: previous, to: user, by: nil, via: "cloudtask-api set-role", context: .none)
            }
        }
        guard let updated else {
            FileHandle.standardError.write(Data("no account has the email \(email)\n".utf8))
            throw ExitCode(1)
        }
        print("\(updated.email) is now \(updated.role.rawValue)")
    }
}
