import Domain
import Foundation
import Testing

@Suite("Job requests: validation and defaults")
struct JobRequestTests {
    @Test("defaults are applied")
    func defaults() throws {
        let request = try JobRequest(command: "echo")
        #expect(request.args == [] && request.priority == 0 && request.timeoutSeconds == 300 && request.maxAttempts == 1)
        #expect(request.runAt == nil)
    }

    @Test("spelling a default out makes the same request")
    func sameAfterDefaults() throws {
        #expect(
            try JobRequest(command: "echo", args: ["a"])
                == JobRequest(command: "echo", args: ["a"], priority: 0, timeoutSeconds: 300, maxAttempts: 1))
    }

    @Test("every range is enforced, with every broken rule reported")
    func ranges() {
        do {
            _ = try JobRequest(command: "", priority: 10, timeoutSeconds: 0, maxAttempts: 11)
            Issue.record("expected a failure")
        } catch {
            #expect(Set(error.issues.map(\.field)) == ["command", "priority", "timeout_seconds", "max_attempts"])
        }
        #expect(throws: ValidationFailure.self) { try JobRequest(command: "echo", priority: -1) }
        #expect(throws: ValidationFailure.self) { try JobRequest(command: "echo", timeoutSeconds: 3601) }
        #expect(throws: ValidationFailure.self) { try JobRequest(command: "echo", maxAttempts: 0) }
        #expect(throws: Never.self) { try JobRequest(command: "echo", priority: 9, timeoutSeconds: 3600, maxAttempts: 10) }
    }

    @Test("artifacts: at most 16, each a relative path inside the working directory, none twice")
    func artifacts() throws {
        #expect(try JobRequest(command: "echo", artifacts: ["out/report.txt", "a b+%ü.csv"]).artifacts.count == 2)
        for bad in ["", "/etc/passwd", "../up", "a/../b", "./a", "a//b", "a/", "tab\there", String(repeating: "x", count: 256)] {
            #expect(throws: ValidationFailure.self, "\(bad)") { try JobRequest(command: "echo", artifacts: [bad]) }
        }
        #expect(throws: ValidationFailure(field: "artifacts", "must not name a file twice")) {
            try JobRequest(command: "echo", artifacts: ["a", "a"])
        }
        #expect(throws: ValidationFailure(field: "artifacts", "must have at most 16 items")) {
            try JobRequest(command: "echo", artifacts: (0..<17).map { "f\($0)" })
        }
        do {
            _ = try JobRequest(command: "echo", artifacts: ["ok", "../no"])
            Issue.record("expected a failure")
        } catch {
            #expect(error.issues.map(\.field) == ["artifacts[1]"])
        }
        #expect(
            ArtifactRules.objectKey(
                job: JobID(UUID(uuidString: "00000000-0000-0000-0000-0000000000AB")!), attempt: 3, name: "o/r")
                == "jobs/00000000-0000-0000-0000-0000000000ab/3/artifacts/o/r")
    }

    @Test("inputs: at most 16, paths as artifacts' rules, never two at one path or a file where a directory goes")
    func inputs() throws {
        let file = UUID()
        let fine = try JobRequest(command: "cat", inputs: [.init(file: file, path: "in/a.csv"), .init(file: file, path: "b")])
        #expect(fine.inputs.map(\.path) == ["in/a.csv", "b"])
        let cases: [([String], [String])] = [
            (["../up"], ["inputs[0].path"]), (["ok", "/etc/passwd"], ["inputs[1].path"]),
            (["a", "a"], ["inputs"]), (["a", "a/b"], ["inputs"]), ((0..<17).map { "f\($0)" }, ["inputs"]),
        ]
        for (paths, fields) in cases {
            do {
                _ = try JobRequest(command: "cat", inputs: paths.map { JobInput(file: file, path: $0) })
                Issue.record("expected \(paths) to be refused")
            } catch {
                #expect(error.issues.map(\.field) == fields, "\(paths)")
            }
        }
        let owner = UserID(UUID(uuidString: "00000000-0000-0000-0000-0000000000CD")!)
        let key = InputRules.objectKey(owner: owner, file: UUID(uuidString: "00000000-0000-0000-0000-0000000000EF")!)
        #expect(key == "files/00000000-0000-0000-0000-0000000000cd/00000000-0000-0000-0000-0000000000ef")
        #expect(InputRules.isObjectKey(key))
        for bad in ["files/../x", key.uppercased(), "jobs/\(owner)/\(owner)", key + "/x", "files/\(owner)"] {
            #expect(!InputRules.isObjectKey(bad), "\(bad)")
        }
    }

    @Test("argument limits: 64 items, 4 KiB each, 64 KiB in all, no NUL")
    func argumentLimits() {
        #expect(throws: Never.self) { try JobRequest(command: "echo", args: Array(repeating: "x", count: 64)) }
        #expect(throws: ValidationFailure(field: "args", "must have at most 64 items")) {
            try JobRequest(command: "echo", args: Array(repeating: "x", count: 65))
        }
        #expect(throws: Never.self) { try JobRequest(command: "echo", args: [String(repeating: "x", count: 4096)]) }
        #expect(throws: ValidationFailure(field: "args[1]", "must be at most 4096 bytes")) {
            try JobRequest(command: "echo", args: ["ok", String(repeating: "x", count: 4097)])
        }
        #expect(throws: ValidationFailure(field: "args", "must be at most 65536 bytes in all")) {
            try JobRequest(command: "echo", args: Array(repeating: String(repeating: "x", count: 4096), count: 17))
        }
        #expect(throws: ValidationFailure(field: "args[0]", "must not contain NUL characters")) {
            try JobRequest(command: "echo", args: ["a\u{0}b"])
        }
    }

    @Test("commands are program names, not paths or shell lines")
    func commands() {
        #expect(throws: ValidationFailure.self) { try JobRequest(command: "/bin/echo") }
        #expect(throws: ValidationFailure.self) { try JobRequest(command: "ec\u{0}ho") }
        #expect(throws: ValidationFailure.self) { try JobRequest(command: String(repeating: "x", count: 256)) }
        // Metacharacters are just characters: the allowlist, not validation, refuses them.
        #expect(throws: Never.self) { try JobRequest(command: "echo", args: ["$(rm -rf /)", "; ls", "`id`", "|", "&&"]) }
    }

    @Test("run_at keeps millisecond precision")
    func runAtPrecision() throws {
        let request = try JobRequest(command: "echo", runAt: Date(timeIntervalSince1970: 1_000.123_456))
        #expect(request.runAt == Date(timeIntervalSince1970: 1_000.123))
    }

    @Test("the allowlist")
    func allowlist() {
        #expect(CommandAllowlist.standard.allows("echo"))
        #expect(!CommandAllowlist.standard.allows("bash"))
        #expect(CommandAllowlist(["python3"]).allows("python3"))
    }
}
