import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// The built `cloudtask-api` (by default `--embedded`) as a child process on a free loopback port.
final class EmbeddedServer: @unchecked Sendable {
    // @unchecked: `process` is set once in init and only read afterwards; Process itself
    // is not Sendable but is used from one test at a time.
    let process = Process()
    let port: Int
    let base: String
    let log = Pipe()

    init(arguments: [String] = ["--embedded"], environment extra: [String: String] = [:], port fixedPort: Int? = nil) async throws
    {
        port = fixedPort ?? Self.freePort()
        base = "http://127.0.0.1:\(port)"
        let binary =
            ProcessInfo.processInfo.environment["CLOUDTASK_API_BINARY"]
            ?? FileManager.default.currentDirectoryPath + "/.build/debug/cloudtask-api"
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        var environment = [
            "PATH": "/usr/bin:/bin", "CLOUDTASK_HTTP_PORT": String(port), "CLOUDTASK_LOG_FORMAT": "text",
            "CLOUDTASK_BCRYPT_COST": "10", "CLOUDTASK_MAX_BODY_BYTES": "4096",
        ]
        environment.merge(extra) { $1 }
        process.environment = environment
        process.standardOutput = log
        process.standardError = log
        try process.run()
        for _ in 0..<100 {
            if let (status, _, _) = try? await request("GET", "/health/live"), status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ServerError("the server did not start: \(String(decoding: log.fileHandleForReading.availableData, as: UTF8.self))")
    }

    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Sends a request; returns the status, the JSON body (if any) and the headers.
    func request(
        _ method: String, _ path: String, json: String? = nil, token: String? = nil, timeout: TimeInterval = 60
    ) async throws -> (Int, [String: Any], [String: String]) {
        var request = URLRequest(url: URL(string: base + path)!)
        request.timeoutInterval = timeout
        request.httpMethod = method
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields { headers[String(describing: key).lowercased()] = String(describing: value) }
        return (http.statusCode, object, headers)
    }

    /// Sends raw bytes over a socket and returns the status line: for what URLSession
    /// will not send (a chunked body of our choosing).
    func raw(_ bytes: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw ServerError("connect failed") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = bytes.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else { throw ServerError("no response") }
        return String(decoding: buffer[..<count], as: UTF8.self).components(separatedBy: "\r\n").first ?? ""
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct ServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
