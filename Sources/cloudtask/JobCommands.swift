import APIModels
import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What `start` and `run` send.
struct JobOptions: ParsableArguments {
    @Option(help: "0–9, 9 runs first.") var priority: Int?
    @Option(help: "Seconds before the program is stopped (1–3600).") var timeout: Int?
    @Option(help: "Attempts in all when the program fails (1–10).") var maxAttempts: Int?
    @Option(help: "When to run it (RFC 3339, e.g. 2026-12-01T09:00:00Z).") var at: String?
    @Option(help: "A name for the job (1–128 characters), shown in lists.") var name: String?
    @Option(help: "Memory per run, swap included (e.g. 256m, 2g); default: the deployment's.") var memory: String?
    @Option(help: "CPU per run in cores (e.g. 0.5); default: the deployment's.") var cpus: Double?
    @Option(help: "Processes and threads per run at once; default: the deployment's.") var tasks: Int?
    @Flag(help: "Mail me when the job ends.") var notify = false
    @Option(
        name: .customLong("artifact"),
        help: "A file to keep from the job's working directory when it ends (repeat for more; e.g. out/report.txt).")
    var artifacts: [String] = []
    @Option(
        name: .customLong("input"),
        help:
            "A file the job starts with, as FILE:PATH: an uploaded file's id or a local file (uploaded first), then where it goes in the working directory (repeat for more)."
    )
    var inputs: [String] = []
    @Argument(parsing: .captureForPassthrough, help: "The program and its arguments (no shell).") var command: [String] = []

    func submission(_ client: @autoclosure () throws -> APIClient) async throws -> JobSubmission {
        var words = command
        if words.first == "--" { words.removeFirst() }
        guard let program = words.first else {
            throw CLIError(description: "name a program to run, e.g. cloudtask start echo hello")
        }
        var limits: JobSubmission.Limits?
        if memory != nil || cpus != nil || tasks != nil {
            var bytes: Int?
            if let memory {
                guard let parsed = Self.bytes(memory) else {
                    throw CLIError(description: "--memory must be a size such as 512m or 2g")
                }
                bytes = parsed
            }
            limits = JobSubmission.Limits(memoryBytes: bytes, cpu: cpus, tasks: tasks)
        }
        return JobSubmission(
            command: program, args: Array(words.dropFirst()), priority: priority, runAt: at,
            timeoutSeconds: timeout, maxAttempts: maxAttempts, name: name, limits: limits, notify: notify ? true : nil,
            artifacts: artifacts.isEmpty ? nil : artifacts,
            inputs: inputs.isEmpty ? nil : try await FileUpload.inputs(inputs, with: try client()))
    }

    /// `512m`, `2g`, `64k` or a number of bytes.
    static func bytes(_ text: String) -> Int? {
        let multipliers: [Character: Int] = ["k": 1 << 10, "m": 1 << 20, "g": 1 << 30]
        let lowered = text.lowercased()
        guard let last = lowered.last else { return nil }
        if let multiplier = multipliers[last] {
            guard let number = Int(lowered.dropLast()), number > 0 else { return nil }
            let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
            return overflow ? nil : product
        }
        return Int(lowered).flatMap { $0 > 0 ? $0 : nil }
    }
}

struct Start: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start a program as a job and print its id.")
    @OptionGroup var options: GlobalOptions
    @OptionGroup var job: JobOptions

    func run() async throws {
        try await reporting {
            let client = try options.client()
            let response = try await client.authorized("POST", "/api/v1/jobs", sending: try await job.submission(client))
                .expect(201, 200)
            if options.json { return printJSON(response) }
            let created = try response.decode(JobResource.self)
            print(created.status == "scheduled" ? "Job scheduled with ID \(created.id)" : "Job started with ID \(created.id)")
        }
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a program as a job; with --wait, wait for it, print its output and exit with its exit code.")
    @OptionGroup var options: GlobalOptions
    @Flag(help: "Wait until the job is final, print its output, exit with its exit code.") var wait = false
    @OptionGroup var job: JobOptions

    func run() async throws {
        try await reporting {
            let client = try options.client()
            let submission = try await job.submission(client)
            let id = try await client.authorized("POST", "/api/v1/jobs", sending: submission).expect(201, 200)
                .decode(JobResource.self).id
            guard wait else { return print("Job started with ID \(id)") }
            let spinner = Spinner(label: "job \(id)")
            var answer: APIClient.Response
            while true {
                answer = try await client.authorized("GET", "/api/v1/jobs/\(id)").expect(200)
                let status = try answer.decode(JobResource.self).status
                if JobFormat.finalStatuses.contains(status) { break }
                spinner.tick(status)
                try await Task.sleep(for: .milliseconds(250))
            }
            spinner.clear()
            let output = try await client.authorized("GET", "/api/v1/jobs/\(id)/output").expect(200)
            if options.json {
                print(#"{"job":\#(answer.text),"output":\#(output.text)}"#)
            } else {
                let text = try output.decode(JobOutputResource.self)
                FileHandle.standardOutput.write(Data(text.stdout.utf8))
                FileHandle.standardError.write(Data(text.stderr.utf8))
            }
            let final = try answer.decode(JobResource.self)
            let code = JobFormat.exitCode(of: final)
            if code != 0 {
                if !options.json { FileHandle.standardError.write(Data("\(JobFormat.summary(final))\n".utf8)) }
                throw ExitCode(code)
            }
        }
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a job.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The job's id.") var id: String

    func run() async throws {
        try await reporting {
            let response = try await options.client().authorized("GET", "/api/v1/jobs/\(try JobFormat.checked(id))").expect(200)
            options.json ? printJSON(response) : print(JobFormat.summary(try response.decode(JobResource.self)))
        }
    }
}

struct Output: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a job's output (stdout, then stderr on stderr).")
    @OptionGroup var options: GlobalOptions
    @Flag(help: "Keep printing new output until the job is final.") var follow = false
    @Argument(help: "The job's id.") var id: String

    func run() async throws {
        try await reporting {
            let client = try options.client()
            let id = try JobFormat.checked(self.id)
            if follow { return try await Self.follow(id, client: client) }
            let response = try await client.authorized("GET", "/api/v1/jobs/\(id)/output").expect(200)
            if options.json { return printJSON(response) }
            let output = try response.decode(JobOutputResource.self)
            FileHandle.standardOutput.write(Data(output.stdout.utf8))
            FileHandle.standardError.write(Data(output.stderr.utf8))
        }
    }

    /// Reads the job's live events: output as it comes, until the final status. A stream
    /// that ends early (the access token expired, the connection dropped) is opened
    /// again from the last event id, so nothing is printed twice or missed.
    static func follow(_ id: String, client: APIClient) async throws {
        var lastEventID: String?
        var failures = 0
        while true {
            do {
                let (status, body) = try await client.stream(
                    "/api/v1/jobs/\(id)/events",
                    headers: ["Accept": "text/event-stream"].merging(lastEventID.map { ["Last-Event-ID": $0] } ?? [:]) { $1 })
                switch status {
                case 200: break
                case 404: throw CLIError(description: "no such job")
                default: throw CLIError(description: "unexpected answer \(status) to the event stream")
                }
                var parser = EventStreamParser()
                for try await chunk in body {
                    for event in parser.feed(chunk) {
                        if let id = event.id { lastEventID = id }
                        if try handle(event) { return }
                    }
                }
                failures = 0
            } catch let error as CLIError {
                throw error
            } catch {
                failures += 1
                if failures > 5 { throw CLIError(description: "lost the event stream: \(error.localizedDescription)") }
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    /// Prints one event; true once the job is final.
    private static func handle(_ event: EventStreamParser.Event) throws -> Bool {
        let data = Data(event.data.joined(separator: "\n").utf8)
        guard let payload = try? JSONDecoder().decode(LiveEventData.self, from: data) else { return false }
        switch event.name {
        case "output":
            let text = Data((payload.text ?? "").utf8)
            (payload.stream == "stderr" ? FileHandle.standardError : FileHandle.standardOutput).write(text)
        case "reset":
            FileHandle.standardError.write(Data("[cloudtask: the output starts over: attempt \(payload.attempt ?? 0)]\n".utf8))
        case "status":
            return JobFormat.finalStatuses.contains(payload.status ?? "")
        default:
            break
        }
        return false
    }
}

struct Stop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop a job.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The job's id.") var id: String

    func run() async throws {
        try await reporting {
            let id = try JobFormat.checked(self.id)
            let response = try await options.client().authorized("POST", "/api/v1/jobs/\(id)/stop")
            if response.status == 409 { throw CLIError(description: "job is not running") }
            _ = try response.expect(200, 202)
            if options.json { return printJSON(response) }
            print(response.status == 202 ? "Stop requested for job \(id)" : "Job \(id) cancelled before it ran")
        }
    }
}

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List your jobs, newest first.")
    @OptionGroup var options: GlobalOptions
    @Option(help: "Only jobs in this status.") var status: String?
    @Option(help: "How many (1–100).") var limit = 20
    @Flag(help: "Every user's jobs (admins only).") var allUsers = false

    func run() async throws {
        try await reporting {
            var query = ["limit=\(limit)"]
            if let status { query.append("status=\(status)") }
            if allUsers { query.append("owner=all") }
            let response = try await options.client().authorized("GET", "/api/v1/jobs?" + query.joined(separator: "&")).expect(
                200)
            if options.json { return printJSON(response) }
            let jobs = try response.decode(JobPage.self).jobs
            if jobs.isEmpty { return print("No jobs") }
            for job in jobs { print(JobFormat.line(job)) }
        }
    }
}

/// How jobs read in a terminal.
enum JobFormat {
    static func checked(_ id: String) throws -> String {
        guard UUID(uuidString: id) != nil else { throw CLIError(description: "'\(id)' is not a job id") }
        return id.lowercased()
    }

    static let finalStatuses: Set<String> = ["succeeded", "failed", "cancelled"]

    static func commandLine(_ job: JobResource) -> String {
        ([job.command] + job.args).joined(separator: " ")
    }

    static func summary(_ job: JobResource) -> String {
        var text = "Job \(job.id)\(job.name.map { " (\($0))" } ?? ""): \(job.status) — \(commandLine(job))"
        if let code = job.exitCode { text += " (exit code \(code))" }
        if let error = job.error { text += " [\(error.code): \(error.message)]" }
        return text
    }

    static func line(_ job: JobResource) -> String {
        "\(job.id)  \(job.status.padding(toLength: 10, withPad: " ", startingAt: 0))  \(job.name.map { "\($0): " } ?? "")\(commandLine(job))"
    }

    /// The job's exit code as the command's own: its program's, 1 for a failure without
    /// one (timeout, worker lost), 130 for a stopped job.
    static func exitCode(of job: JobResource) -> Int32 {
        switch job.status {
        case "succeeded": 0
        case "cancelled": 130
        default: Int32(job.exitCode ?? 1)
        }
    }
}

/// A spinner on stderr while waiting, only when stderr is a terminal.
final class Spinner {
    private let label: String
    private var frame = 0
    private let enabled = isatty(STDERR_FILENO) != 0
    private static let frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

    init(label: String) { self.label = label }

    func tick(_ status: String) {
        guard enabled else { return }
        frame += 1
        FileHandle.standardError.write(Data("\r\(Self.frames[frame % Self.frames.count]) \(label): \(status)   ".utf8))
    }

    func clear() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
