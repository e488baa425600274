import APIModels
import ArgumentParser
import Foundation

/// `cloudtask mfa status|enable|disable`: two-factor login for the logged-in account.
struct MFACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mfa", abstract: "Two-factor login (an authenticator app's codes).",
        subcommands: [MFAStatus.self, MFAEnable.self, MFADisable.self])
}

struct MFAStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Whether two-factor login is on.")
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await reporting {
            let response = try await options.client().authorized("GET", "/api/v1/users/me/mfa").expect(200)
            if options.json { return printJSON(response) }
            let status = try response.decode(MFAStatusResource.self)
            if status.totp.enabled {
                print("two-factor login is on (\(status.recoveryCodesLeft) recovery codes left)")
            } else {
                print(status.available ? "two-factor login is off" : "two-factor login is not available on this server")
            }
        }
    }
}

struct MFAEnable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable",
        abstract:
            "Enrol an authenticator: shows its secret (and writes its QR code), asks for a first code, prints the recovery codes."
    )
    @OptionGroup var options: GlobalOptions
    @Option(help: "Write the QR code (SVG) to this file, to open and scan.") var qr: String?

    func run() async throws {
        try await reporting {
            let client = try options.client()
            let enrolment = try await client.authorized("POST", "/api/v1/users/me/mfa/totp").expect(201)
                .decode(TOTPEnrolmentResource.self)
            if let qr {
                try Data(enrolment.qrSVG.utf8).write(to: URL(fileURLWithPath: qr))
                FileHandle.standardError.write(Data("QR code written to \(qr)\n".utf8))
            }
            FileHandle.standardError.write(
                Data("Add this secret to your authenticator app: \(enrolment.secret)\n(\(enrolment.otpauthURI))\n".utf8))
            let code = try readSecondFactor()
            let confirmed = try await client.authorized(
                "POST", "/api/v1/users/me/mfa/totp/confirm", json: ["code": code]
            ).expect(200)
            if options.json { return printJSON(confirmed) }
            let codes = (try? JSONSerialization.jsonObject(with: confirmed.body) as? [String: [String]])?["recovery_codes"]
            print("Two-factor login is on. Recovery codes (each works once; they are not shown again):")
            for code in codes ?? [] { print("  \(code)") }
        }
    }
}

struct MFADisable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable", abstract: "Turn two-factor login off (asks for the password and a code).")
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await reporting {
            let client = try options.client()
            let password = try readPassword()
            let code = try readSecondFactor()
            let response = try await client.authorized(
                "DELETE", "/api/v1/users/me/mfa/totp", json: ["password": password, "code": code])
            if response.status == 401 { throw CLIError(description: "wrong password or code") }
            _ = try response.expect(204)
            if !options.json { print("Two-factor login is off; your other sessions were ended.") }
        }
    }
}
