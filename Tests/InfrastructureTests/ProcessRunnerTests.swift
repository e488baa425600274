import CSpawn
import Domain
import Foundation
import Ports
import Synchronization
import Testing

@testable import Infrastructure

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
    static let commands = CommandAllowlist([
        "echo", "sleep", "sh", "cat", "printf", "yes", "head", "pwd", "env", "id", "true", "false",
    ])

    func runner(outputLimit: Int = 1_048_576, grace: Int = 1, allowlist: CommandAllowlist = commands) -> IsolatedProcessRunner {
        IsolatedProcessRunner(
            settings: ProcessRunnerSettings(
                allowlist: allowlist, outputLimitBytes: outputLimit, stopGraceSeconds: grace, jobUser: "nobody",
                limits: ResourceLimits()))
    }

    func run(_ command: String, _ args: [String], timeout: Int = 30, runner: IsolatedProcessRunner? = nil) async -> (
        ProcessTermination, JobOutput
    ) {
        let collector = OutputCollector()
        let result = await (runner ?? self.runner()).run(ProcessSpec(command: command, args: args, timeoutSeconds: timeout)) {
            collector.add($0)
        }
        return (result.termination, collector.result)
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
        #expect(
            await run("definitely-not-a-program", [], runner: missing).0
                == .spawnFailed("command 'definitely-not-a-program' was not found on this worker"))
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
        let (termination, output) = await run(
            "sh", ["-c", "yes | head -c 300000; echo done >&2"], runner: runner(outputLimit: 1000))
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
            await runner().run(ProcessSpec(command: "sh", args: ["-c", "echo first; sleep 2; echo second"], timeoutSeconds: 30)) {
                collector.add($0)
            }
        }
        try await Task.sleep(for: .milliseconds(800))
        #expect(collector.result.stdout == "first\n")
        #expect(await task.value.termination == .exited(0))
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
        #expect(
            Set(lines.dropFirst(2).compactMap { $0.split(separator: "=").first.map(String.init) })
                .isSubset(of: ["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "PWD", "SHLVL", "_", "OLDPWD"]))
        #expect(!FileManager.default.fileExists(atPath: lines.first ?? "/nonexistent"))
    }

    @Test(
        "as root, the program runs as the job user and cannot read the service's files",
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

    @Test("input files are in the working directory, nested paths made, before the program starts; a missing one fails the start")
    func inputs() async throws {
        let source = FileManager.default.temporaryDirectory.appendingPathComponent("cloudtask-input-\(UUID())").path
        try "line one\nline two\n".write(toFile: source, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: source) }
        let collector = OutputCollector()
        let spec = ProcessSpec(
            command: "sh", args: ["-c", "cat in/deep/data.txt top.txt; id -u; stat -c %u in/deep/data.txt in/deep"],
            timeoutSeconds: 30,
            inputs: [StagedInput(path: "in/deep/data.txt", source: source), StagedInput(path: "top.txt", source: source)])
        let result = await runner().run(spec) { collector.add($0) }
        #expect(result.termination == .exited(0))
        let lines = collector.result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.prefix(4) == ["line one", "line two", "line one", "line two"])
        // The files and the directories made for them belong to the user the program runs as.
        #expect(lines.count == 7 && lines[5] == lines[4] && lines[6] == lines[4], "\(lines)")
        #expect(FileManager.default.fileExists(atPath: source), "the fetched copy is the caller's to release")

        let gone = ProcessSpec(
            command: "true", args: [], timeoutSeconds: 30, inputs: [StagedInput(path: "x", source: source + ".missing")])
        let failed = await runner().run(gone) { _ in }
        guard case .spawnFailed(let reason) = failed.termination else {
            Issue.record("a missing input did not fail the start: \(failed.termination)")
            return
        }
        #expect(reason.contains("input x"))
    }

    @Test("rlimits apply: a program may not write a file past fsize")
    func limits() async {
        var limits = ResourceLimits()
        limits.fileSizeBytes = 1024
        let limited = IsolatedProcessRunner(
            settings: ProcessRunnerSettings(
                allowlist: Self.commands, outputLimitBytes: 10_000, stopGraceSeconds: 1, jobUser: "nobody", limits: limits))
        let (termination, _) = await run("sh", ["-c", "head -c 4096 /dev/zero > big"], runner: limited)
        #expect(termination != .exited(0))
    }

    /// Runs `body`, but gives up after `limit`: a test of a hang must fail, not hang.
    func within<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async -> T) async -> T? {
        await withTaskGroup(of: T?.self) { group in
            group.addTask { await body() }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    @Test("NUL bytes in output become U+FFFD (a store refuses NUL)")
    func nul() async {
        let (termination, output) = await run("printf", ["x\\000y\\000"])
        #expect(termination == .exited(0))
        #expect(output.stdout == "x\u{FFFD}y\u{FFFD}")
    }

    @Test("a program that writes without pause is still timed out, and stopped, on time")
    func endlessWriter() async {
        let runner = runner(outputLimit: 4096)
        let timedOut = await within(.seconds(30)) {
            await runner.run(ProcessSpec(command: "yes", args: [], timeoutSeconds: 1)) { _ in }
        }
        #expect(timedOut?.termination == .timedOut)
        let task = Task { await runner.run(ProcessSpec(command: "yes", args: ["stop me"], timeoutSeconds: 600)) { _ in } }
        try? await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let stopped = await within(.seconds(30)) { await task.value }
        #expect(stopped?.termination == .stopped)
    }

    @Test("a worker that cannot switch users refuses to run programs as itself unless allowed")
    func refusesToRunAsItself() async {
        var settings = ProcessRunnerSettings(
            allowlist: Self.commands, outputLimitBytes: 1000, stopGraceSeconds: 1, jobUser: "nobody",
            limits: ResourceLimits())
        settings.canSwitchUser = false
        let (refused, _) = await run("true", [], runner: IsolatedProcessRunner(settings: settings))
        guard case .spawnFailed(let reason) = refused else {
            Issue.record("ran: \(refused)")
            return
        }
        #expect(reason.contains("not root"))
        settings.allowJobsAsWorkerUser = true
        #expect(await run("true", [], runner: IsolatedProcessRunner(settings: settings)).0 == .exited(0))
    }

    @Test(
        "as root, a program run as the job user still dies with the thread that started it (PR_SET_PDEATHSIG after setuid)",
        .enabled(if: geteuid() == 0, "needs root, as in CI"))
    func diesWithItsWorker() async throws {
        guard let nobody = IsolatedProcessRunner.account(named: "nobody") else {
            Issue.record("no nobody")
            return
        }
        let started = Mutex<pid_t>(0)
        // A thread that spawns `sleep 60` as nobody and ends: the kernel must kill the child.
        let thread = Thread {
            let path = strdup("/bin/sleep")
            let arg0 = strdup("sleep")
            let arg1 = strdup("60")
            let directory = strdup("/")
            var argv: [UnsafeMutablePointer<CChar>?] = [arg0, arg1, nil]
            var envp: [UnsafeMutablePointer<CChar>?] = [nil]
            var pid: pid_t = 0
            var out: Int32 = -1
            var err: Int32 = -1
            argv.withUnsafeMutableBufferPointer { argvBuffer in
                envp.withUnsafeMutableBufferPointer { envpBuffer in
                    var request = ct_spawn_request(
                        path: path, argv: argvBuffer.baseAddress, envp: envpBuffer.baseAddress,
                        directory: directory, change_user: 1, uid: nobody.uid, gid: nobody.gid,
                        limits: ct_rlimits(), sandbox: ct_sandbox())
                    var status: Int32 = -1
                    if ct_spawn(&request, &pid, &out, &err, &status) == 0 {
                        Glibc.close(out)
                        Glibc.close(err)
                    }
                }
            }
            started.withLock { $0 = pid }
        }
        thread.start()
        var pid: pid_t = 0
        for _ in 0..<200 where pid == 0 {
            try await Task.sleep(for: .milliseconds(10))
            pid = started.withLock { $0 }
        }
        #expect(pid > 0)
        guard pid > 0 else { return }
        var status: Int32 = 0
        var reaped = false
        for _ in 0..<100 where !reaped {
            if ct_try_wait(pid, &status) == 1 { reaped = true } else { try await Task.sleep(for: .milliseconds(50)) }
        }
        if !reaped {
            kill(pid, SIGKILL)
            _ = ct_try_wait(pid, &status)
        }
        #expect(reaped, "the job outlived the thread that started it")
        var signal: Int32 = 0
        #expect(ct_decode_status(status, &signal) == 2 && signal == SIGKILL)
    }
}
