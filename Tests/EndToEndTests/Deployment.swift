import APIModels
import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// A multi-instance deployment of the built binaries: one `cloudtask-api` and named
/// `cloudtask-worker` processes on the PostgreSQL, Redis and RabbitMQ that
/// `scripts/e2e-workers.sh` started for this run (it passes them in `CLOUDTASK_E2E_*`,
/// with the commands that stop and start RabbitMQ). Each process logs to a file of its
/// own in `CLOUDTASK_E2E_DIR`; every pid is written to `pids` there, so the script
/// stops what a failed test left running.
final class Deployment: Sendable {
    static let environment = ProcessInfo.processInfo.environment
    static var configured: Bool { environment["CLOUDTASK_E2E_DATABASE_URL"] != nil }

    /// The one deployment of the run: the API keeps running between tests; workers are
    /// each test's own (those a failed test left running are stopped here).
    static func shared() async throws -> Deployment {
        let deployment = try await Cache.shared.deployment()
        await deployment.stopWorkers()
        return deployment
    }

    private actor Cache {
        static let shared = Cache()
        private var started: Deployment?

        func deployment() async throws -> Deployment {
            if let started { return started }
            let deployment = try await Deployment.start()
            started = deployment
            return deployment
        }
    }

    let directory: String
    let apiPort: Int
    var base: String { "http://127.0.0.1:\(apiPort)" }
    let token: String
    private let workers = Mutex<[String: Process]>([:])

    private init(directory: String, apiPort: Int, token: String) {
        self.directory = directory
        self.apiPort = apiPort
        self.token = token
    }

    static let s3Bucket = "cloudtask-e2e"

    /// Makes the artifacts' bucket (moto takes an unsigned PUT; one that exists is fine).
    static func createBucket() async throws {
        guard let s3 = environment["CLOUDTASK_TEST_S3_URL"], let url = URL(string: s3 + "/" + s3Bucket) else { return }
        var request = URLRequest(url: url)
        request.httpMethod = "PUT"
        let (_, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 || status == 409 else { throw DeploymentError("creating the bucket answered \(status)") }
    }

    private static func start() async throws -> Deployment {
        try await createBucket()
        let directory = environment["CLOUDTASK_E2E_DIR"] ?? NSTemporaryDirectory()
        let apiPort = Int(environment["CLOUDTASK_E2E_API_PORT"] ?? "") ?? 18469
        let migrate = try launch(
            "cloudtask-api", ["migrate"], environment: settings(port: apiPort), log: directory + "/migrate.log")
        while migrate.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        guard migrate.terminationStatus == 0 else { throw DeploymentError("migrate failed: \(tail(directory + "/migrate.log"))") }
        let api = try launch("cloudtask-api", [], environment: settings(port: apiPort), log: directory + "/api.log")
        record(api.processIdentifier, in: directory)
        let starting = Deployment(directory: directory, apiPort: apiPort, token: "")
        var live = false
        for _ in 0..<150 where !live {
            live = (try? await starting.request("GET", "/health/live").status) == 200
            if !live { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard live else { throw DeploymentError("the API did not start: \(tail(directory + "/api.log"))") }
        let register = try await starting.request(
            "POST", "/api/v1/auth/register", json: #"{"email":"e2e@example.com","password":"correct horse"}"#)
        guard register.status == 201 else { throw DeploymentError("register answered \(register.status): \(register.text)") }
        return Deployment(directory: directory, apiPort: apiPort, token: try register.decode(TokenResource.self).accessToken)
    }

    /// The settings every process of the deployment shares.
    static func settings(port: Int) -> [String: String] {
        var settings = [
            "PATH": "/usr/bin:/bin", "CLOUDTASK_HTTP_PORT": String(port), "CLOUDTASK_LOG_FORMAT": "text",
            "CLOUDTASK_DATABASE_URL": environment["CLOUDTASK_E2E_DATABASE_URL"] ?? "",
            "CLOUDTASK_REDIS_URL": environment["CLOUDTASK_E2E_REDIS_URL"] ?? "",
            "CLOUDTASK_AMQP_URL": environment["CLOUDTASK_E2E_AMQP_URL"] ?? "",
            "CLOUDTASK_JWT_ACCESS_SECRET": "e2e-check-access-secret-0123456789abcdef",
            "CLOUDTASK_JWT_REFRESH_SECRET": "e2e-check-refresh-secret-0123456789abcdef",
            "CLOUDTASK_BCRYPT_COST": "10", "CLOUDTASK_STOP_GRACE_SECONDS": "2",
            "CLOUDTASK_RATE_LIMIT_API": "off", "CLOUDTASK_RATE_LIMIT_JOBS_CREATE": "off",
            // pkill lets a job kill its own worker (the worker_lost check).
            "CLOUDTASK_ALLOWED_COMMANDS": "echo,sleep,true,false,sh,pkill",
        ]
        // Artifacts go to the test command's S3 protocol server, when it runs one.
        if let s3 = environment["CLOUDTASK_TEST_S3_URL"] {
            settings["CLOUDTASK_OBJECT_STORE_URL"] = s3
            settings["CLOUDTASK_OBJECT_STORE_BUCKET"] = s3Bucket
            settings["CLOUDTASK_OBJECT_STORE_ACCESS_KEY"] = "e2e-access"
            settings["CLOUDTASK_OBJECT_STORE_SECRET_KEY"] = "e2e-secret"
            settings["CLOUDTASK_OBJECT_STORE_PATH_STYLE"] = "true"
        }
        // Every process traces to the test's OTLP receiver, when the script runs one,
        // exporting within 100 ms so that a test need not wait long for the spans.
        if let otlp = environment["CLOUDTASK_TEST_OTLP_URL"] {
            settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp
            settings["OTEL_BSP_SCHEDULE_DELAY"] = "100"
        }
        // As root, jobs run as root here, so that pkill can reach a worker whose sandbox
        // is off (the worker_lost check; in the sandbox a job cannot see its worker).
        if geteuid() == 0 { settings["CLOUDTASK_JOB_USER"] = "root" }
        return settings
    }

    // MARK: Processes

    static func launch(_ binary: String, _ arguments: [String], environment: [String: String], log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/.build/debug/" + binary)
        process.arguments = arguments
        process.environment = environment
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func record(_ pid: Int32, in directory: String) {
        let path = directory + "/pids"
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(Data("\(pid)\n".utf8))
            try? handle.close()
        }
    }

    /// Starts `cloudtask-worker --worker-id e2e-NAME` (its log: `worker-NAME.log`).
    @discardableResult
    func startWorker(
        _ name: String, _ arguments: [String] = [], metricsPort: Int = 0, environment: [String: String] = [:]
    ) throws -> Process {
        let process = try Self.launch(
            "cloudtask-worker",
            ["--worker-id", "e2e-\(name)", "--shutdown-grace", "5", "--metrics-port", String(metricsPort)] + arguments,
            environment: Self.settings(port: apiPort).merging(environment) { $1 }, log: log(of: name))
        Self.record(process.processIdentifier, in: directory)
        workers.withLock { $0[name] = process }
        return process
    }

    func log(of worker: String) -> String { directory + "/worker-\(worker).log" }

    func logText(of worker: String) -> String { (try? String(contentsOfFile: log(of: worker), encoding: .utf8)) ?? "" }

    /// Stops every worker (SIGTERM, then SIGKILL after 15 s) and waits for them.
    func stopWorkers() async {
        let running = workers.withLock { all in
            defer { all.removeAll() }
            return Array(all.values)
        }
        for process in running where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        for process in running {
            let deadline = ContinuousClock.now + .seconds(15)
            while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }

    /// Forgets a worker that died (or was killed) on purpose.
    func forget(_ name: String) { _ = workers.withLock { $0.removeValue(forKey: name) } }

    /// Runs a command of the test script's (`CLOUDTASK_E2E_RABBITMQ_STOP`, `_START`).
    /// `system(3)` on a thread of its own: Foundation's `Process` did not notice the end
    /// of a shell that had started a detached server (it stayed a zombie).
    func runScript(_ variable: String) async throws {
        guard let command = Self.environment[variable] else { throw DeploymentError("\(variable) is not set") }
        let status = await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            Thread.detachNewThread { continuation.resume(returning: system("bash -c " + Self.quoted(command))) }
        }
        guard status == 0 else { throw DeploymentError("\(variable) failed (\(status))") }
    }

    static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// Whether a process whose command line contains `pattern` is running.
    static func processRunning(_ pattern: String) -> Bool {
        // `[s]leep 1` matches "sleep 1" but not the shell that runs pgrep with it.
        let regex = pattern.first.map { "[\($0)]" + pattern.dropFirst().replacingOccurrences(of: ".", with: "\\.") } ?? ""
        return system("pgrep -f " + quoted(regex) + " >/dev/null") == 0
    }

    static func tail(_ path: String, lines: Int = 15) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    // MARK: HTTP

    struct Answer {
        let status: Int
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(type, from: body) }
    }

    func request(_ method: String, _ path: String, json: String? = nil, base: String? = nil, token: String? = nil)
        async throws -> Answer
    {
        var request = URLRequest(url: URL(string: (base ?? self.base) + path)!)
        request.httpMethod = method
        request.timeoutInterval = 10
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let bearer = token ?? self.token
        if !bearer.isEmpty { request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return Answer(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data)
    }

    /// Registers another user; returns their access token.
    func registerUser() async throws -> String {
        let email = "e2e-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        let register = try await request(
            "POST", "/api/v1/auth/register", json: #"{"email":"\#(email)","password":"correct horse"}"#, token: "")
        guard register.status == 201 else { throw DeploymentError("register answered \(register.status): \(register.text)") }
        return try register.decode(TokenResource.self).accessToken
    }

    /// Uploads `bytes` as an input file (`POST /api/v1/files`).
    func upload(_ bytes: Data) async throws -> Answer {
        var request = URLRequest(url: URL(string: base + "/api/v1/files")!)
        request.httpMethod = "POST"
        request.timeoutInterval = 30
        request.httpBody = bytes
        request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: request)
        return Answer(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data)
    }

    /// Submits a job; returns it.
    func submit(_ json: String) async throws -> JobResource {
        let answer = try await request("POST", "/api/v1/jobs", json: json)
        guard answer.status == 201 else { throw DeploymentError("submit answered \(answer.status): \(answer.text)") }
        return try answer.decode(JobResource.self)
    }

    func job(_ id: String) async throws -> JobResource { try await request("GET", "/api/v1/jobs/\(id)").decode(JobResource.self) }

    /// Waits until the job has `status`; throws (with the job and the logs' tails) if it does not within `seconds`.
    @discardableResult
    func waitFor(_ id: String, _ status: String, within seconds: Int) async throws -> JobResource {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var job = try await job(id)
        while job.status != status {
            guard ContinuousClock.now < deadline else {
                throw DeploymentError("job \(id) is \(job.status), not \(status), after \(seconds) s: \(job)\n\(logTails())")
            }
            try await Task.sleep(for: .milliseconds(200))
            job = try await self.job(id)
        }
        return job
    }

    func logTails() -> String {
        let logs =
            (try? FileManager.default.contentsOfDirectory(atPath: directory))?.filter { $0.hasSuffix(".log") }.sorted() ?? []
        return logs.map { "--- \($0)\n" + Self.tail(directory + "/" + $0) }.joined(separator: "\n")
    }

    /// The value of the one series of `name` whose labels include all of `labels`
    /// (Prometheus text), or nil.
    func series(_ name: String, _ labels: [String] = [], base: String? = nil) async throws -> Double? {
        let text = try await request("GET", "/metrics", base: base).text
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let rest = line.dropFirst(name.count)
            guard rest.first == "{" || rest.first == " " else { continue }
            guard labels.allSatisfy({ line.contains($0) }) else { continue }
            return line.split(separator: " ").last.flatMap { Double($0) }
        }
        return nil
    }
}

struct DeploymentError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
