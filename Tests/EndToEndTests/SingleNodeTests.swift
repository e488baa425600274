import Foundation
import Testing

/// `cloudtask-api --single-node` on the PostgreSQL that `scripts/test.sh` starts.
@Suite(
    "End to end: --single-node on PostgreSQL", .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["CLOUDTASK_TEST_DATABASE_URL"] != nil, "needs CLOUDTASK_TEST_DATABASE_URL"))
struct SingleNodeTests {
    static let binary = FileManager.default.currentDirectoryPath + "/.build/debug/cloudtask-api"

    /// Makes a fresh database and returns its URL.
    static func freshDatabase() throws -> String {
        let base = ProcessInfo.processInfo.environment["CLOUDTASK_TEST_DATABASE_URL"]!
        let name = "e2e_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        var components = URLComponents(string: base)!
        components.path = "/postgres"
        try psql("CREATE DATABASE \(name)", url: components.string!)
        components.path = "/" + name
        return components.string!
    }

    /// Runs one SQL statement with psql, as an operator (or an intruder) would.
    static func psql(_ sql: String, url: String) throws {
        let components = URLComponents(string: url)!
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        psql.arguments = [
            "-h", components.host!, "-p", String(components.port ?? 5432), "-U", components.user ?? "postgres",
            "-d", String(components.path.dropFirst()), "-q", "-c", sql,
        ]
        try psql.run()
        psql.waitUntilExit()
        guard psql.terminationStatus == 0 else { throw ServerError("psql could not run \(sql)") }
    }

    static func command(_ arguments: [String], environment: [String: String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    @Test("refuses an unmigrated database; after migrate, users, sessions and jobs survive a restart")
    func persistence() async throws {
        let environment = [
            "CLOUDTASK_DATABASE_URL": try Self.freshDatabase(), "CLOUDTASK_LOG_FORMAT": "text", "CLOUDTASK_BCRYPT_COST": "10",
            "CLOUDTASK_JWT_ACCESS_SECRET": String(repeating: "a", count: 40),
            "CLOUDTASK_JWT_REFRESH_SECRET": String(repeating: "b", count: 40),
        ]
        let (refused, message) = try Self.command(["--single-node"], environment: environment)
        #expect(refused == 1 && message.contains("run `cloudtask-api migrate`"))
        let (migrated, _) = try Self.command(
            ["migrate", "--migrations", FileManager.default.currentDirectoryPath + "/migrations"], environment: environment)
        #expect(migrated == 0)

        var server = try await EmbeddedServer(arguments: ["--single-node"], environment: environment)
        let port = server.port
        let (_, registered, _) = try await server.request(
            "POST", "/api/v1/auth/register", json: #"{"email":"keep@example.com","password":"correct horse"}"#)
        let token = try #require(registered["access_token"] as? String)
        let refresh = try #require(registered["refresh_token"] as? String)
        let (_, job, _) = try await server.request(
            "POST", "/api/v1/jobs", json: #"{"command":"echo","args":["kept"]}"#, token: token)
        let id = try #require(job["id"] as? String)
        for _ in 0..<100 {
            if try await server.request("GET", "/api/v1/jobs/\(id)", token: token).1["status"] as? String == "succeeded" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(server.stop() == 0)

        server = try await EmbeddedServer(arguments: ["--single-node"], environment: environment, port: port)
        defer { _ = server.stop() }
        let (status, kept, _) = try await server.request("GET", "/api/v1/jobs/\(id)", token: token)
        #expect(status == 200 && kept["status"] as? String == "succeeded")
        #expect(try await server.request("GET", "/api/v1/jobs/\(id)/output", token: token).1["stdout"] as? String == "kept\n")
        #expect(try await server.request("POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(refresh)"}"#).0 == 200)
        #expect(
            try await server.request(
                "POST", "/api/v1/auth/login", json: #"{"email":"keep@example.com","password":"correct horse"}"#
            ).0 == 200)

        let (roleSet, output) = try Self.command(["set-role", "keep@example.com", "viewer"], environment: environment)
        #expect(roleSet == 0 && output.contains("keep@example.com is now viewer"))
        let (unknown, _) = try Self.command(["set-role", "nobody@example.com", "admin"], environment: environment)
        #expect(unknown == 1)

        // The audit trail: registration, two logins (one at registration is not a login), the role change.
        let (intact, report) = try Self.command(["audit", "verify"], environment: environment)
        #expect(intact == 0 && report.contains("audit chain intact: 3 entries"), "\(report)")
        try Self.psql("DELETE FROM audit_entries WHERE seq = 2", url: environment["CLOUDTASK_DATABASE_URL"]!)
        let (broken, complaint) = try Self.command(["audit", "verify"], environment: environment)
        #expect(broken == 1 && complaint.contains("audit chain broken at entry 2"), "\(complaint)")
    }
}
