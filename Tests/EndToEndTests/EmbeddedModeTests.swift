import Foundation
import Testing

@Suite("End to end: cloudtask-api --embedded over real HTTP", .serialized)
struct EmbeddedModeTests {
    func waitForStatus(_ server: EmbeddedServer, job id: String, token: String, in statuses: Set<String>) async throws -> [String:
        Any]
    {
        for _ in 0..<150 {
            let (_, job, _) = try await server.request("GET", "/api/v1/jobs/\(id)", token: token)
            if let status = job["status"] as? String, statuses.contains(status) { return job }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ServerError("job \(id) never reached \(statuses)")
    }

    @Test("register, log in, run echo, read its output, stop a sleep, log out, shut down cleanly")
    func journey() async throws {
        let server = try await EmbeddedServer()
        defer { _ = server.stop() }

        let (registered, _, _) = try await server.request(
            "POST", "/api/v1/auth/register", json: #"{"email":"e2e@example.com","password":"correct horse"}"#)
        #expect(registered == 201)
        let (loginStatus, login, headers) = try await server.request(
            "POST", "/api/v1/auth/login", json: #"{"email":"e2e@example.com","password":"correct horse"}"#)
        #expect(
            loginStatus == 200 && headers["cache-control"] == "no-store" && headers["ratelimit-policy"] == #""login";q=5;w=900"#)
        let token = try #require(login["access_token"] as? String)

        let (created, job, createdHeaders) = try await server.request(
            "POST", "/api/v1/jobs", json: #"{"command":"echo","args":["Hello World","$(id)"]}"#, token: token)
        #expect(created == 201)
        let id = try #require(job["id"] as? String)
        #expect(createdHeaders["location"] == "/api/v1/jobs/\(id)")
        let done = try await waitForStatus(server, job: id, token: token, in: ["succeeded", "failed"])
        #expect(done["status"] as? String == "succeeded" && done["exit_code"] as? Int == 0 && done["attempts"] as? Int == 1)
        let (_, output, _) = try await server.request("GET", "/api/v1/jobs/\(id)/output", token: token)
        #expect(output["stdout"] as? String == "Hello World $(id)\n")

        let (_, sleeper, _) = try await server.request(
            "POST", "/api/v1/jobs", json: #"{"command":"sleep","args":["60"]}"#, token: token)
        let sleepID = try #require(sleeper["id"] as? String)
        _ = try await waitForStatus(server, job: sleepID, token: token, in: ["running"])
        let (stopStatus, _, _) = try await server.request("POST", "/api/v1/jobs/\(sleepID)/stop", token: token)
        #expect(stopStatus == 202)
        let stopped = try await waitForStatus(server, job: sleepID, token: token, in: ["cancelled", "failed", "succeeded"])
        #expect(stopped["status"] as? String == "cancelled")
        #expect((stopped["error"] as? [String: Any])?["code"] as? String == "stopped")

        let (failedStatus, failing, _) = try await server.request(
            "POST", "/api/v1/jobs", json: #"{"command":"false","max_attempts":1}"#, token: token)
        #expect(failedStatus == 201)
        let failed = try await waitForStatus(server, job: failing["id"] as! String, token: token, in: ["failed", "succeeded"])
        #expect(failed["status"] as? String == "failed" && failed["exit_code"] as? Int == 1)
        #expect((failed["error"] as? [String: Any])?["code"] as? String == "nonzero_exit")

        #expect(try await server.request("POST", "/api/v1/auth/logout", token: token).0 == 204)
        #expect(try await server.request("GET", "/api/v1/users/me", token: token).0 == 401)
        #expect(server.stop() == 0)
    }

    @Test("a chunked body over the limit is refused with 413")
    func chunkedBody() async throws {
        let server = try await EmbeddedServer()
        defer { _ = server.stop() }
        let chunk = String(repeating: "x", count: 3000)
        let hex = String(chunk.utf8.count, radix: 16)
        let request =
            "POST /api/v1/auth/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "\(hex)\r\n\(chunk)\r\n\(hex)\r\n\(chunk)\r\n0\r\n\r\n"
        #expect(try server.raw(request).hasPrefix("HTTP/1.1 413"))
        let small =
            "POST /api/v1/auth/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "2\r\n{}\r\n0\r\n\r\n"
        #expect(try server.raw(small).hasPrefix("HTTP/1.1 400"))
    }

    @Test("a bad setting stops the process with one line naming it")
    func badConfiguration() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/.build/debug/cloudtask-api")
        process.arguments = ["--embedded"]
        process.environment = ["CLOUDTASK_HTTP_PORT": "banana", "CLOUDTASK_BCRYPT_COST": "99"]
        let pipe = Pipe()
        process.standardError = pipe
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 78)
        #expect(text.contains("CLOUDTASK_HTTP_PORT: must be a whole number from 1 to 65535"))
        #expect(text.contains("CLOUDTASK_BCRYPT_COST: must be a whole number from 10 to 15"))
    }
}
