import Foundation
import Testing

/// The built `cloudtask` client against the built server (`--embedded`), through real
/// HTTP: every subcommand, the token store and its refresh, and every error message.
@Suite("cloudtask CLI", .serialized)
struct CLITests {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs the client with its own config directory (the token store) and password.
    final class CLI: @unchecked Sendable {
        // @unchecked: immutable after init; each test owns its instance.
        let server: String
        let configDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("cloudtask-cli-\(UUID())").path
        let binary = FileManager.default.currentDirectoryPath + "/.build/debug/cloudtask"

        init(server: String) { self.server = server }

        deinit { try? FileManager.default.removeItem(atPath: configDirectory) }

        func callAsFunction(_ arguments: String..., password: String = "correct horse", server: String? = nil) throws -> Result {
            try run(arguments, password: password, server: server)
        }

        func run(
            _ arguments: [String], password: String = "correct horse", server: String? = nil,
            environment extra: [String: String] = [:]
        ) throws -> Result {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
            process.environment = [
                "PATH": "/usr/bin:/bin", "CLOUDTASK_SERVER": server ?? self.server,
                "CLOUDTASK_CONFIG_DIR": configDirectory, "CLOUDTASK_PASSWORD": password,
            ].merging(extra) { $1 }
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let stdout = out.fileHandleForReading.readDataToEndOfFile()
            let stderr = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return Result(
                status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                stderr: String(decoding: stderr, as: UTF8.self))
        }

        var credentialsPath: String { configDirectory + "/credentials.json" }

        func credentials() throws -> [String: [String: Any]] {
            let data = try Data(contentsOf: URL(fileURLWithPath: credentialsPath))
            return try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] ?? [:]
        }

        /// Makes the stored access token look expired, so the next command refreshes.
        func expireAccessToken() throws {
            var all = try credentials()
            all[server]?["accessExpiresAt"] = 0
            try JSONSerialization.data(withJSONObject: all).write(to: URL(fileURLWithPath: credentialsPath))
        }
    }

    static func withServer(_ body: (CLI, EmbeddedServer) async throws -> Void) async throws {
        let server = try await EmbeddedServer(environment: ["CLOUDTASK_ALLOWED_COMMANDS": "echo,sleep,false,sh"])
        defer { _ = server.stop() }
        try await body(CLI(server: server.base), server)
    }

    static func jobID(_ result: Result) throws -> String {
        try #require(result.stdout.split(separator: " ").last.map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) })
    }

    @Test("register, whoami, start, status, output, list, run --wait and its exit code, stop, logout")
    func everySubcommand() async throws {
        try await Self.withServer { cli, _ in
            let email = "cli-\(UUID().uuidString.prefix(6).lowercased())@example.com"
            let registered = try cli("register", "--email", email)
            #expect(registered.status == 0 && registered.stdout == "Registered and logged in as \(email)\n")
            let attributes = try FileManager.default.attributesOfItem(atPath: cli.credentialsPath)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            #expect(try cli("whoami").stdout == "\(email) (user, address not confirmed yet)\n")

            let started = try cli("start", "echo", "Hello World")
            #expect(started.status == 0 && started.stdout.hasPrefix("Job started with ID "))
            let id = try Self.jobID(started)
            var status = try cli("status", id)
            for _ in 0..<50 where !status.stdout.contains("succeeded") {
                try await Task.sleep(for: .milliseconds(100))
                status = try cli("status", id)
            }
            #expect(status.stdout == "Job \(id): succeeded — echo Hello World (exit code 0)\n")
            #expect(try cli("output", id).stdout == "Hello World\n")
            #expect(try cli("output", "--json", id).stdout.contains(#""stdout":"Hello World\n""#))
            let limited = try Self.jobID(try cli("start", "--memory", "64m", "--cpus", "0.5", "--tasks", "8", "echo", "boxed"))
            let limitedJSON = try cli("list", "--json", "--limit", "100").stdout
            #expect(limitedJSON.contains(limited) && limitedJSON.contains(#""memory_bytes":67108864"#))
            #expect(limitedJSON.contains(#""cpu":0.5"#) && limitedJSON.contains(#""tasks":8"#))
            #expect(try cli("start", "--memory", "lots", "echo").stderr == "Error: --memory must be a size such as 512m or 2g\n")
            let named = try Self.jobID(try cli("start", "--name", "greeting", "echo", "hi"))
            #expect(try cli("status", named).stdout.hasPrefix("Job \(named) (greeting): "))

            let ran = try cli("run", "--wait", "sh", "-c", "echo out; echo err >&2; exit 3")
            #expect(ran.status == 3 && ran.stdout == "out\n" && ran.stderr.hasPrefix("err\n"))
            #expect(ran.stderr.contains("failed — sh -c echo out; echo err >&2; exit 3 (exit code 3)"))
            #expect(try cli("run", "--wait", "true").status != 0)  // not allowed here: an error, not a job
            let followed = try cli(
                "output", "--follow", try Self.jobID(try cli("start", "sh", "-c", "echo a; sleep 1.5; echo b")))
            #expect(followed.status == 0 && followed.stdout == "a\nb\n")

            let list = try cli("list", "--status", "succeeded", "--limit", "10")
            #expect(list.stdout.contains(id) && list.stdout.contains("succeeded") && !list.stdout.contains("failed"))
            #expect(try cli("list", "--json").stdout.contains(#""next_cursor""#))

            let sleeper = try Self.jobID(try cli("start", "sleep", "30"))
            for _ in 0..<100 where !(try cli("status", sleeper).stdout.contains(": running")) {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(try cli("stop", sleeper).stdout == "Stop requested for job \(sleeper)\n")
            let scheduled = try Self.jobID(try cli("start", "--at", "2099-01-01T00:00:00Z", "echo", "later"))
            #expect(try cli("stop", scheduled).stdout == "Job \(scheduled) cancelled before it ran\n")
            let again = try cli("stop", scheduled)
            #expect(again.status == 1 && again.stderr == "Error: job is not running\n")

            #expect(try cli("logout").stdout == "Logged out\n")
            let after = try cli("whoami")
            #expect(after.status == 1 && after.stderr.hasPrefix("Error: not logged in to "))
            let login = try cli("login", "--email", email)
            #expect(login.stdout == "Logged in as \(email)\n")
        }
    }

    @Test(
        "start --artifact, artifacts, download: the file comes back as written, its SHA-256 checked; a link is listed as not kept"
    )
    func artifacts() async throws {
        try await Self.withServer { cli, _ in
            _ = try cli("register", "--email", "art-\(UUID().uuidString.prefix(6).lowercased())@example.com")
            let script = "mkdir -p out; printf 'line one\\nline two\\n' > 'out/report v1.txt'; ln -s /etc/passwd leak"
            let id = try Self.jobID(
                try cli("start", "--artifact", "out/report v1.txt", "--artifact", "leak", "--", "sh", "-c", script))
            var status = try cli("status", id)
            for _ in 0..<100 where !status.stdout.contains("succeeded") {
                try await Task.sleep(for: .milliseconds(100))
                status = try cli("status", id)
            }
            let listed = try cli("artifacts", id)
            #expect(listed.status == 0, "\(listed.stderr)")
            #expect(listed.stdout.contains("out/report v1.txt\t18 bytes\tsha256 "), "\(listed.stdout)")
            #expect(listed.stdout.contains("leak\tnot kept: is a symbolic link, which is not followed"), "\(listed.stdout)")
            let target = FileManager.default.temporaryDirectory.appendingPathComponent("cli-artifact-\(UUID())").path
            defer { try? FileManager.default.removeItem(atPath: target) }
            let downloaded = try cli("download", id, "out/report v1.txt", "-o", target)
            #expect(
                downloaded.status == 0 && downloaded.stdout.hasPrefix("Wrote \(target) (18 bytes, sha256 "),
                "\(downloaded.stderr)")
            #expect(try String(contentsOfFile: target, encoding: .utf8) == "line one\nline two\n")
            #expect(try cli("download", id, "out/report v1.txt", "-o", "-").stdout == "line one\nline two\n")
            let refused = try cli("download", id, "leak")
            #expect(refused.status == 1 && refused.stderr.contains("was not kept"), "\(refused.stderr)")
        }
    }

    @Test("upload prints the file's id; start --input ID:PATH and run --input LOCAL:PATH put it in the working directory")
    func inputFiles() async throws {
        try await Self.withServer { cli, _ in
            _ = try cli("register", "--email", "in-\(UUID().uuidString.prefix(6).lowercased())@example.com")
            let local = FileManager.default.temporaryDirectory.appendingPathComponent("cli-input-\(UUID())").path
            defer { try? FileManager.default.removeItem(atPath: local) }
            let content = (0..<20_000).map { "row \($0)\n" }.joined()
            try content.write(toFile: local, atomically: true, encoding: .utf8)

            let uploaded = try cli("upload", local)
            #expect(uploaded.status == 0 && uploaded.stdout.hasPrefix("Uploaded \(local) as "), "\(uploaded.stderr)")
            #expect(uploaded.stdout.contains("(\(content.utf8.count) bytes, sha256 "), "\(uploaded.stdout)")
            let words = uploaded.stdout.split(separator: " ")
            let id = try #require(words.firstIndex(of: "as").map { String(words[$0 + 1]) })

            let started = try Self.jobID(
                try cli("start", "--input", "\(id):data/rows.txt", "--", "sh", "-c", "wc -l < data/rows.txt"))
            var status = try cli("status", started)
            for _ in 0..<100 where !status.stdout.contains("succeeded") {
                try await Task.sleep(for: .milliseconds(100))
                status = try cli("status", started)
            }
            #expect(try cli("output", started).stdout == "20000\n", "\(status.stdout)")

            let ran = try cli("run", "--wait", "--input", "\(local):copy.txt", "--", "sh", "-c", "tail -n 1 copy.txt")
            #expect(ran.status == 0 && ran.stdout == "row 19999\n", "\(ran.stderr)")

            let bad = try cli("start", "--input", "nocolon", "echo")
            #expect(bad.status == 1 && bad.stderr.hasPrefix("Error: --input must be FILE:PATH"), "\(bad.stderr)")
            let missing = try cli("start", "--input", "/nonexistent/file:x", "echo")
            #expect(missing.status == 1 && missing.stderr == "Error: cannot read /nonexistent/file\n", "\(missing.stderr)")
            let stranger = try cli("start", "--input", "\(UUID().uuidString):x", "echo")
            #expect(stranger.status == 1 && stranger.stderr.hasPrefix("Error: "), "\(stranger.stderr)")
        }
    }

    @Test("an expired access token is refreshed by itself; commands racing to refresh never trip reuse detection")
    func refresh() async throws {
        try await Self.withServer { cli, _ in
            _ = try cli("register", "--email", "refresh-\(UUID().uuidString.prefix(6).lowercased())@example.com")
            let before = try cli.credentials()[cli.server]?["refreshToken"] as? String
            try cli.expireAccessToken()
            #expect(try cli("whoami").status == 0)
            let after = try cli.credentials()[cli.server]?["refreshToken"] as? String
            #expect(before != nil && after != nil && before != after)

            try cli.expireAccessToken()
            let results = try await withThrowingTaskGroup(of: Int32.self) { group in
                for _ in 0..<4 { group.addTask { try cli("whoami").status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results == [0, 0, 0, 0])
            #expect(try cli("whoami").status == 0)  // the session survived: no refresh token was presented twice
        }
    }

    @Test("every error is one clear line and a non-zero status")
    func errors() async throws {
        try await Self.withServer { cli, _ in
            #expect(try cli("whoami").stderr.hasPrefix("Error: not logged in to "))
            let email = "errors-\(UUID().uuidString.prefix(6).lowercased())@example.com"
            let short = try cli("register", "--email", email, password: "short")
            #expect(short.status == 1 && short.stderr.hasPrefix("Error: ") && short.stderr.contains("password"))
            _ = try cli("register", "--email", email)
            let taken = try cli("register", "--email", email)
            #expect(taken.status == 1 && taken.stderr.hasPrefix("Error: ") && taken.stderr.contains("already registered"))
            let wrong = try cli("login", "--email", email, password: "not the password")
            #expect(wrong.stderr == "Error: wrong email or password\n")
            #expect(try cli("status", "not-an-id").stderr == "Error: 'not-an-id' is not a job id\n")
            #expect(try cli("status", UUID().uuidString).stderr == "Error: no such job\n")
            #expect(try cli("start", "rm", "-rf", "/").stderr == "Error: command 'rm' is not allowed on this deployment\n")
            #expect(try cli("start").stderr == "Error: name a program to run, e.g. cloudtask start echo hello\n")
            let down = try cli("whoami", server: "http://127.0.0.1:1")
            #expect(down.status == 1 && down.stderr.hasPrefix("Error: "))
            let badServer = try cli("whoami", server: "ftp://example.com")
            #expect(badServer.stderr == "Error: --server must be an http:// or https:// URL\n")
        }
    }

    /// The authenticator's code for the step `offset` steps from now (RFC 6238), computed
    /// by Python's standard library: this suite sees the server only from outside.
    static func totp(_ secret: String, offset: Int = 0) throws -> String {
        let script = """
            import base64, hashlib, hmac, struct, sys, time
            key = base64.b32decode(sys.argv[1] + "=" * (-len(sys.argv[1]) % 8))
            mac = hmac.new(key, struct.pack(">Q", int(time.time()) // 30 + int(sys.argv[2])), hashlib.sha1).digest()
            at = mac[-1] & 15
            print("%06d" % ((struct.unpack(">I", mac[at:at + 4])[0] & 0x7fffffff) % 1000000))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, secret, String(offset)]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let code = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return code.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("mfa enable asks for a first code and prints recovery codes; login then asks for a code, or takes a recovery code")
    func twoFactor() async throws {
        try await Self.withServer { cli, _ in
            let email = "mfa-\(UUID().uuidString.prefix(6).lowercased())@example.com"
            #expect(try cli("register", "--email", email).status == 0)
            #expect(try cli("mfa", "status").stdout == "two-factor login is off\n")

            // enable: read the secret it shows, answer with the current code on stdin.
            let qr = FileManager.default.temporaryDirectory.appendingPathComponent("qr-\(UUID()).svg").path
            defer { try? FileManager.default.removeItem(atPath: qr) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: cli.binary)
            process.arguments = ["mfa", "enable", "--qr", qr]
            process.environment = [
                "PATH": "/usr/bin:/bin", "CLOUDTASK_SERVER": cli.server, "CLOUDTASK_CONFIG_DIR": cli.configDirectory,
            ]
            let input = Pipe()
            let output = Pipe()
            let errors = Pipe()
            (process.standardInput, process.standardOutput, process.standardError) = (input, output, errors)
            try process.run()
            var shown = ""
            while !shown.contains("(otpauth") {
                let chunk = errors.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                shown += String(decoding: chunk, as: UTF8.self)
            }
            let secret = try #require(
                shown.split(separator: "\n").first { $0.hasPrefix("Add this secret") }?.split(separator: " ").last.map(
                    String.init))
            input.fileHandleForWriting.write(Data((try Self.totp(secret) + "\n").utf8))
            try input.fileHandleForWriting.close()
            let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(shown)")
            let recovery = printed.split(separator: "\n").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(recovery.count == 10, "\(printed)")
            #expect((try? String(contentsOfFile: qr, encoding: .utf8))?.hasPrefix("<svg") == true)
            #expect(try cli("mfa", "status").stdout == "two-factor login is on (10 recovery codes left)\n")

            // login: no code at hand is one clear line; a recovery code works once; then a code.
            let noCode = try cli("login", "--email", email)
            #expect(noCode.status != 0 && noCode.stderr.contains("two-factor login is on"))
            #expect(try cli("login", "--email", email, "--recovery-code", recovery[0]).status == 0)
            let reused = try cli("login", "--email", email, "--recovery-code", recovery[0])
            #expect(reused.status != 0 && reused.stderr == "Error: wrong or already used code\n")
            let withCode = try cli.run(
                ["login", "--email", email], environment: ["CLOUDTASK_MFA_CODE": try Self.totp(secret, offset: 1)])
            #expect(withCode.status == 0 && withCode.stdout == "Logged in as \(email)\n", "\(withCode.stderr)")
            #expect(try cli("whoami").stdout == "\(email) (user, address not confirmed yet)\n")
        }
    }
}
