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
    @Argument(parsing: .captureForPassthrough, help: "The program and its arguments (no shell).") var command: [String] = []

    func body() throws -> [String: Any] {
        var words = command
        if words.first == "--" { words.removeFirst() }
        guard let program = words.first else { throw CLIError(description: "name a program to run, e.g. cloudtask start echo hello") }
        var body: [String: Any] = ["command": program, "args": Array(words.dropFirst())]
        if let priority { body["priority"] = priority }
        if let timeout { body["timeout_seconds"] = timeout }
        if let maxAttempts { body["max_attempts"] = maxAttempts }
        if let at { body["run_at"] = at }
        return body
    }
}

struct Start: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start a program as a job and print its id.")
    @OptionGroup var options: GlobalOptions
    @OptionGroup var job: JobOptions

    func run() async throws {
        try await reporting {
            let response = try await options.client().authorized("POST", "/api/v1/jobs", json: try job.body()).expect(201, 200)
            if options.json { return printJSON(response) }
            let object = response.object
            let id = object["id"] as? String ?? "?"
            print(object["status"] as? String == "scheduled" ? "Job scheduled with ID \(id)" : "Job started with ID \(id)")
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
            let created = try await client.authorized("POST", "/api/v1/jobs", json: try job.body()).expect(201, 200).object
            guard let id = created["id"] as? String else { throw CLIError(description: "the server sent no job id") }
            guard wait else { return print("Job started with ID \(id)") }
            let spinner = Spinner(label: "job \(id)")
            var final: [String: Any] = [:]
            while true {
                final = try await client.authorized("GET", "/api/v1/jobs/\(id)").expect(200).object
                let status = final["status"] as? String ?? ""
                if ["succeeded", "failed", "cancelled"].contains(status) { break }
                spinner.tick(status)
                try await Task.sleep(for: .milliseconds(250))
            }
            spinner.clear()
            let output = try await client.authorized("GET", "/api/v1/jobs/\(id)/output").expect(200)
            if options.json {
                print(#"{"job":\#(String(decoding: try JSONSerialization.data(withJSONObject: final), as: UTF8.self)),"output":\#(output.text)}"#)
            } else {
                FileHandle.standardOutput.write(Data((output.object["stdout"] as? String ?? "").utf8))
                FileHandle.standardError.write(Data((output.object["stderr"] as? String ?? "").utf8))
            }
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
            options.json ? printJSON(response) : print(JobFormat.summary(response.object))
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
            FileHandle.standardOutput.write(Data((response.object["stdout"] as? String ?? "").utf8))
            FileHandle.standardError.write(Data((response.object["stderr"] as? String ?? "").utf8))
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
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        switch event.name {
        case "output":
            let text = Data((object["text"] as? String ?? "").utf8)
            (object["stream"] as? String == "stderr" ? FileHandle.standardError : FileHandle.standardOutput).write(text)
        case "reset":
            FileHandle.standardError.write(Data("[cloudtask: the output starts over: attempt \(object["attempt"] as? Int ?? 0)]\n".utf8))
        case "status":
            return ["succeeded", "failed", "cancelled"].contains(object["status"] as? String ?? "")
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
            let response = try await options.client().authorized("GET", "/api/v1/jobs?" + query.joined(separator: "&")).expect(200)
            if options.json { return printJSON(response) }
            let jobs = response.object["jobs"] as? [[String: Any]] ?? []
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

    static func commandLine(_ job: [String: Any]) -> String {
        ([job["command"] as? String ?? "?"] + (job["args"] as? [String] ?? [])).joined(separator: " ")
    }

    static func summary(_ job: [String: Any]) -> String {
        var text = "Job \(job["id"] as? String ?? "?"): \(job["status"] as? String ?? "?") — \(commandLine(job))"
        if let code = job["exit_code"] as? Int { text += " (exit code \(code))" }
        if let error = job["error"] as? [String: Any], let message = error["message"] as? String {
            text += " [\(error["code"] as? String ?? "error"): \(message)]"
        }
        return text
    }

    static func line(_ job: [String: Any]) -> String {
        let status = (job["status"] as? String ?? "?").padding(toLength: 10, withPad: " ", startingAt: 0)
        return "\(job["id"] as? String ?? "?")  \(status)  \(commandLine(job))"
    }

    /// The job's exit code as the command's own: its program's, 1 for a failure without
    /// one (timeout, worker lost), 130 for a stopped job.
    static func exitCode(of job: [String: Any]) -> Int32 {
        switch job["status"] as? String {
        case "succeeded": 0
        case "cancelled": 130
        default: Int32(job["exit_code"] as? Int ?? 1)
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
