import ArgumentParser
import Foundation
import Infrastructure
import Logging
import Runtime

/// `cloudtask-api mfa reseal`: after a rotation of `CLOUDTASK_MFA_KEY`, seals every TOTP
/// secret still under an old key with the new one, so that the old key can be dropped.
struct MFA: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mfa", abstract: "Operator commands for two-factor login.", subcommands: [Reseal.self])

    struct Reseal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Seal every TOTP secret under CLOUDTASK_MFA_KEY (after a key rotation; see docs/mfa.md).")

        func run() async throws {
            let result = try await OperatorDatabase.run(label: "cloudtask-mfa-reseal") {
                config, client, logger -> (String, Int, Int)? in
                guard let sealer = SecretSealer(secret: config.mfaKey ?? "", old: config.mfaOldKeys) else { return nil }
                let (resealed, unreadable) = try await PostgresMFAStore(client: client, sealer: sealer, logger: logger)
                    .resealAll()
                return (sealer.currentKeyID, resealed, unreadable)
            }
            guard let (keyID, resealed, unreadable) = result else {
                FileHandle.standardError.write(Data("CLOUDTASK_MFA_KEY is not set: nothing to seal with\n".utf8))
                throw ExitCode(2)
            }
            print("sealed again under key \(keyID): \(resealed); opened by no configured key: \(unreadable)")
            if unreadable > 0 { throw ExitCode(1) }
        }
    }
}
