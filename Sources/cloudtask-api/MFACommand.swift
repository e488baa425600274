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
            let config = try loadConfiguration(mode: .database)
            LineLogHandler.bootstrap(level: config.logLevel, json: config.logFormat == .json)
            let logger = Logger(label: "cloudtask-mfa-reseal")
            guard let key = config.mfaKey, let sealer = SecretSealer(secret: key, old: config.mfaOldKeys) else {
                FileHandle.standardError.write(Data("CLOUDTASK_MFA_KEY is not set: nothing to seal with\n".utf8))
                throw ExitCode(2)
            }
            let client = try Database.client(config)
            let (resealed, unreadable) = try await Database.withClient(client) {
                try await Database.waitUntilReady(client, logger: logger)
                return try await PostgresMFAStore(client: client, sealer: sealer, logger: logger).resealAll()
            }
            print("sealed again under key \(sealer.currentKeyID): \(resealed); opened by no configured key: \(unreadable)")
            if unreadable > 0 { throw ExitCode(1) }
        }
    }
}
