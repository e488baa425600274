import Domain
import Foundation
import Infrastructure
import Ports
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Gathers a run's output as the runner delivers it.
final class OutputCollector: Sendable {
    private let output = Mutex(JobOutput())
    private let chunks = Mutex(0)
    func add(_ chunk: OutputChunk) {
        chunks.withLock { $0 += 1 }
        output.withLock { stored in
            stored.stdout += chunk.stdout
            stored.stderr += chunk.stderr
            stored.truncated = stored.truncated || chunk.truncated
        }
    }
    var result: JobOutput { output.withLock { $0 } }
    var chunkCount: Int { chunks.withLock { $0 } }
}

@Suite("The isolated process runner", .serialized)
struct ProcessRunnerTests {
    static let commands = CommandAllowlist(["echo", "sleep", "sh", "cat", "printf", "yes", "head", "pwd", "env", "id", "true", "false"])

    func runner(outputLimit: Int = 1_048_576, grace: Int = 1, allowlist: CommandAllowlist = commands) -> IsolatedProcessRunner {
        IsolatedProcessRunner(settings: ProcessRunnerSettings(
            allowlist: allowlist, outputLimitBytes: outputLimit, stopGraceSeconds: grace, jobUser: "nobody", limits: ResourceLimits()))
    }

    func run(_ command: String, _ args: [String], timeout: Int = 30, runner: IsolatedProcessRunner? = nil) async -> (ProcessTermination, JobOutput) {
        let collector = OutputCollector()
        let termination = await (runner ?? self.runner()).run(ProcessSpec(command: command, args: args, timeoutSeconds: timeout)) { collector.add($0) }
        return (termination, collector.result)
    }

    @Test("arguments reach the program literally: no shell interprets them")
    func literalArguments() async {
        let args = ["Hello World", "$(id)", "; rm -rf /", "`whoami`", "a|b", "&&", "*", "'quoted'"]
        let (termination, output) = await run("echo", args)
        #expect(termination == .exited(0))
        #expect(output.stdout == args.joined(separator: " ") + "\n")
    }

    @Test("exit codes are reported; stderr is kept apart")
    func exitCodes() async {
        let (termination, output) = await run("sh", ["-c", "echo out; echo err >&2; exit 3"])
        #expect(termination == .exited(3))
        #expect(output.stdout == "out\n" && output.stderr == "err\n")
    }

    @Test("commands off the allowlist, or missing, never start")
    func refused() async {
        #expect(await run("ls", ["/"]).0 == .spawnFailed("command 'ls' is not allowed on this worker"))
        let missing = runner(allowlist: CommandAllowlist(["definitely-not-a-program"]))
        #expect(await run("definitely-not-a-program", [], runner: missing).0 == .spawnFailed("command 'definitely-not-a-program' was not found on this worker"))
    }

    @Test("a program past its timeout is killed and reported timed out")
    func timeout() async {
        let started = ContinuousClock.now
        let (termination, _) = await run("sleep", ["30"], timeout: 1)
        #expect(termination == .timedOut)
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test("cancelling the run stops the program: SIGTERM, then SIGKILL after the grace period")
    func stop() async throws {
        // SIGTERM is ignored (and stays ignored across exec), so only the SIGKILL after the 1-second grace ends it.
        let task = Task { await run("sh", ["-c", "trap '' TERM; echo ready; exec sleep 30"]) }
        try await Task.sleep(for: .milliseconds(300))
        let cancelled = ContinuousClock.now
        task.cancel()
        let (termination, output) = await task.value
        #expect(termination == .stopped)
        #expect(output.stdout == "ready\n")
        let took = ContinuousClock.now - cancelled
        #expect(took >= .milliseconds(900) && took < .seconds(10))
    }

    @Test("output past the cap is dropped while the program keeps running to completion")
    func cap() async {
        let (termination, output) = await run("sh", ["-c", "yes | head -c 300000; echo done >&2"], runner: runner(outputLimit: 1000))
        #expect(termination == .exited(0))
        #expect(output.stdout.utf8.count == 1000 && output.truncated)
        #expect(output.stderr == "done\n")
    }

    @Test("invalid UTF-8 becomes U+FFFD; characters split across reads survive")
    func utf8() async {
        let (_, output) = await run("printf", ["ok\\377\\376é"])
        #expect(output.stdout == "ok\u{FFFD}\u{FFFD}é")
    }

    @Test("output arrives while the program runs")
    func streaming() async throws {
        let collector = OutputCollector()
        let task = Task {
            await runner().run(ProcessSpec(command: "sh", args: ["-c", "echo first; sleep 2; echo second"], timeoutSeconds: 30)) { collector.add($0) }
        }
        try await Task.sleep(for: .milliseconds(800))
        #expect(collector.result.stdout == "first\n")
        #expect(await task.value == .exited(0))
        #expect(collector.result.stdout == "first\nsecond\n")
    }

    @Test("the program starts in an empty directory, stdin is /dev/null, and the environment is scrubbed")
    func isolation() async {
        setenv("CLOUDTASK_JWT_ACCESS_SECRET", "must-not-leak", 1)
        let (_, output) = await run("sh", ["-c", "pwd; ls -A | wc -l; cat; env"])
        let lines = output.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("/tmp/cloudtask-job-") == true)
        #expect(lines.dropFirst().first?.trimmingCharacters(in: .whitespaces) == "0")
        #expect(!output.stdout.contains("must-not-leak") && !output.stdout.contains("CLOUDTASK"))
        #expect(Set(lines.dropFirst(2).compactMap { $0.split(separator: "=").first.map(String.init) })
                .isSubset(of: ["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "PWD", "SHLVL", "_", "OLDPWD"]))
        #expect(!FileManager.default.fileExists(atPath: lines.first ?? "/nonexistent"))
    }

    @Test("as root, the program runs as the job user and cannot read the service's files",
          .enabled(if: geteuid() == 0, "needs root, as in CI"))
    func unprivileged() async throws {
        let secret = FileManager.default.temporaryDirectory.appendingPathComponent("cloudtask-secret-\(UUID())").path
        try "top secret".write(toFile: secret, atomically: true, encoding: .utf8)
        chmod(secret, 0o600)
        defer { try? FileManager.default.removeItem(atPath: secret) }
        let (termination, output) = await run("cat", [secret])
        #expect(termination == .exited(1))
        #expect(output.stdout.isEmpty && output.stderr.contains("Permission denied"))
        let (_, identity) = await run("id", ["-un"])
        #expect(identity.stdout == "nobody\n")
        // The child shares the worker's memory until exec: dropping privileges there must
        // not reach the worker's own threads (glibc's setuid would broadcast to them).
        #expect(getuid() == 0 && geteuid() == 0 && getgid() == 0)
    }

    @Test("rlimits apply: a program may not write a file past fsize")
    func limits() async {
        var limits = ResourceLimits()
        limits.fileSizeBytes = 1024
        let limited = IsolatedProcessRunner(settings: ProcessRunnerSettings(
            allowlist: Self.commands, outputLimitBytes: 10_000, stopGraceSeconds: 1, jobUser: "nobody", limits: limits))
        let (termination, _) = await run("sh", ["-c", "head -c 4096 /dev/zero > big"], runner: limited)
        #expect(termination != .exited(0))
    }
}
