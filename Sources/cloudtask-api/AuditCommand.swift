import ArgumentParser
import Domain
import Foundation
import Infrastructure
import Logging
import Ports
import Runtime

/// `cloudtask-api audit verify`: walks the audit trail's hash chain.
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Operator commands for the audit trail.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that no audit entry was removed or altered since the chain's anchor.",
            discussion: """
                Exits 0 and prints the number of entries and the head's hash when the chain holds; exits 1 \
                and names the first entry where it breaks otherwise. Keep the printed head hash somewhere \
                else (a ticket, a log shipper): a later run that still reaches it shows that nothing before \
                it was rewritten.
                """)

        func run() async throws {
            let verdict = try await OperatorDatabase.run(label: "cloudtask-audit-verify") { _, client, logger in
                try await AuditChain.verify(PostgresAuditTrail(client: client, logger: logger))
            }
            switch verdict {
            case .intact(let entries, let ends):
                print(
                    "audit chain intact: \(entries) entries, \(ends.anchorSequence + 1)…\(ends.headSequence); "
                        + "head \(ends.headSequence) \(ends.headHash.map { String(format: "%02x", $0) }.joined())")
            case .broken(let sequence, let reason):
                FileHandle.standardError.write(Data("audit chain broken at entry \(sequence): \(reason)\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}
