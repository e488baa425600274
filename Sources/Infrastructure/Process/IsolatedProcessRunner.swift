public import Domain
import Foundation
public import Ports

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a job's program the way docs/api.md promises: no shell; only allowlisted programs,
/// looked up in a fixed path; as the unprivileged job user when the worker is root; in
/// an empty temporary directory; stdin from /dev/null; a scrubbed environment; the
/// configured rlimits; its own process group; dying with its worker; output streamed,
/// capped per stream and decoded as UTF-8. Cancelling the calling task stops it.
///
/// With a `Sandbox`, each run is boxed (docs/isolation.md): its own namespaces, cgroup
/// (its limits, and what it used) and uid, instead of the one job user; rlimits that the
/// cgroup does better (processes, address space) are left to it.
public struct IsolatedProcessRunner: ProcessRunner {
    let settings: ProcessRunnerSettings
    let sandbox: Sandbox?
    let usageInterval: Duration

    public init(settings: ProcessRunnerSettings, sandbox: Sandbox? = nil, usageInterval: Duration = .seconds(1)) {
        self.settings = settings
        self.sandbox = sandbox
        self.usageInterval = usageInterval
    }

    public func run(_ spec: ProcessSpec, onOutput: @escaping @Sendable (OutputChunk) async -> Void) async -> ProcessResult {
        await run(spec, onOutput: onOutput, onUsage: { _ in })
    }

    public func run(
        _ spec: ProcessSpec, onOutput: @escaping @Sendable (OutputChunk) async -> Void,
        onUsage: @escaping @Sendable (ResourceUsage) async -> Void
    ) async -> ProcessResult {
        guard settings.allowlist.allows(spec.command) else {
            return ProcessResult(.spawnFailed("command '\(spec.command)' is not allowed on this worker"))
        }
        guard let path = resolve(spec.command) else {
            return ProcessResult(.spawnFailed("command '\(spec.command)' was not found on this worker"))
        }
        guard let sandbox else { return await runUnboxed(spec, path: path, onOutput: onOutput) }
        let box: RunBox
        do {
            box = try sandbox.makeBox(limits: spec.limits ?? sandbox.settings.defaults)
        } catch {
            return ProcessResult(.spawnFailed("could not make the job's sandbox: \(error)"))
        }
        let identity = (uid: uid_t(box.uid), gid: gid_t(box.uid))
        guard let directory = makeWorkDirectory(root: sandbox.settings.workRoot, owner: identity) else {
            _ = sandbox.release(box)
            return ProcessResult(.spawnFailed("could not create a working directory"))
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        if let problem = await InputPlacer.place(spec.inputs, into: directory, owner: identity) {
            _ = sandbox.release(box)
            return ProcessResult(.spawnFailed(problem))
        }
        var limits = settings.limits
        limits.processes = 0  // pids.max counts tasks per run
        limits.addressSpaceBytes = 0  // the memory limit counts what is used, not reserved
        // What the run has used so far, from its cgroup, about every second.
        let sampler = Task {
            guard let cgroup = box.cgroup else { return }
            while !Task.isCancelled {
                try? await Task.sleep(for: usageInterval)
                if Task.isCancelled { break }
                await onUsage(cgroup.usage())
            }
        }
        let (termination, logs) = await supervise(
            spec, path: path, directory: directory, identity: identity, limits: limits, box: box.spawn, onOutput: onOutput,
            spoolRoot: sandbox.settings.workRoot)
        sampler.cancel()
        let (usage, memoryKilled, tasksRefused) = sandbox.release(box)
        // Every process of the run has ended (its PID namespace and its cgroup are empty).
        let kept = await KeptFileCollector.collect(
            spec.keep, from: directory, owner: identity.uid, maxBytes: spec.keepMaxBytes, root: sandbox.settings.workRoot)
        return ProcessResult(
            Self.attribute(termination, memoryKilled: memoryKilled, tasksRefused: tasksRefused, limits: box.limits),
            usage: usage, kept: kept, logs: logs)
    }

    /// A run that died after the kernel's OOM killer acted in its cgroup ended at its
    /// memory limit; one that failed after a fork was refused at `pids.max`, at its tasks
    /// limit. Stops and timeouts stay what they were.
    static func attribute(
        _ termination: ProcessTermination, memoryKilled: Bool, tasksRefused: Bool, limits: RunLimits
    ) -> ProcessTermination {
        switch termination {
        case .signalled where memoryKilled, .exited where memoryKilled && termination != .exited(0):
            return .memoryLimit(bytes: limits.memoryBytes)
        case .signalled where tasksRefused:
            return .tasksLimit(tasks: limits.tasks, exitCode: nil)
        case .exited(let code) where tasksRefused && code != 0:
            return .tasksLimit(tasks: limits.tasks, exitCode: code)
        default:
            return termination
        }
    }

    private func runUnboxed(
        _ spec: ProcessSpec, path: String, onOutput: @escaping @Sendable (OutputChunk) async -> Void
    ) async -> ProcessResult {
        let identity: (uid: uid_t, gid: gid_t)?
        if settings.canSwitchUser {
            guard let account = Self.account(named: settings.jobUser) else {
                return ProcessResult(.spawnFailed("the job user '\(settings.jobUser)' does not exist on this worker"))
            }
            identity = account
        } else if settings.allowJobsAsWorkerUser {
            identity = nil  // the operator accepted that programs run as this process's user
        } else {
            return ProcessResult(
                .spawnFailed(
                    "this worker is not root, so it cannot run programs as the job user; it refuses to run them as its own"))
        }
        guard let directory = makeWorkDirectory(root: settings.workRoot, owner: identity) else {
            return ProcessResult(.spawnFailed("could not create a working directory"))
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        if let problem = await InputPlacer.place(spec.inputs, into: directory, owner: identity) {
            return ProcessResult(.spawnFailed(problem))
        }
        let (termination, logs) = await supervise(
            spec, path: path, directory: directory, identity: identity, limits: settings.limits, box: nil,
            onOutput: onOutput, spoolRoot: settings.workRoot)
        // Without a box a process that left the run's group may still be going; the checks
        // on each file (owner, size counted while copying) hold against it too.
        let kept = await KeptFileCollector.collect(
            spec.keep, from: directory, owner: identity?.uid, maxBytes: spec.keepMaxBytes, root: settings.workRoot)
        return ProcessResult(termination, kept: kept, logs: logs)
    }

    private func supervise(
        _ spec: ProcessSpec, path: String, directory: String, identity: (uid: uid_t, gid: gid_t)?, limits: ResourceLimits,
        box: SpawnBox?, onOutput: @escaping @Sendable (OutputChunk) async -> Void, spoolRoot: String
    ) async -> (ProcessTermination, logs: [KeptFile]) {
        // The full logs' files, when asked for and the spool directory is the worker's own.
        let spools: [LogSpool]? =
            spec.fullLogMaxBytes > 0
            ? KeptFileCollector.spoolDirectory(root: spoolRoot).map { directory in
                [
                    LogSpool(directory: directory, limit: spec.fullLogMaxBytes),
                    LogSpool(directory: directory, limit: spec.fullLogMaxBytes),
                ]
            } : nil

        let environment = [
            "PATH=\(settings.searchPath.joined(separator: ":"))", "HOME=\(directory)", "TMPDIR=\(directory)",
            "LANG=C.UTF-8", "LC_ALL=C.UTF-8",
        ]
        let prepared = PreparedSpawn(
            displayName: spec.command, path: path, arguments: spec.args, environment: environment,
            directory: directory, identity: identity, limits: limits, box: box)
        let (events, continuation) = AsyncStream<SupervisorEvent>.makeStream()
        let supervisor = ProcessSupervisor(
            request: prepared, timeoutSeconds: spec.timeoutSeconds,
            graceSeconds: settings.stopGraceSeconds, outputLimit: settings.outputLimitBytes,
            events: continuation, spools: spools)
        supervisor.start()
        // Read the supervisor's reports in a task of their own: iterating an AsyncStream
        // ends at once when the iterating task is cancelled, and a stop must wait until
        // the program is really gone (SIGTERM, grace, SIGKILL), output included.
        let reports = Task {
            var termination = ProcessTermination.stopped
            var truncated = (stdout: false, stderr: false)
            for await event in events {
                switch event {
                case .output(let chunk): await onOutput(chunk)
                case .truncated(let stdout, let stderr): truncated = (stdout, stderr)
                case .finished(let result): termination = result
                }
            }
            return (termination, truncated)
        }
        let (termination, truncated) = await withTaskCancellationHandler {
            await reports.value
        } onCancel: {
            supervisor.requestStop()
        }
        // A stream within the cap is whole in PostgreSQL already: its file goes.
        var logs: [KeptFile] = []
        for (name, spool, passedCap) in zip3(["stdout", "stderr"], spools ?? [], [truncated.stdout, truncated.stderr]) {
            spool.finish(keep: passedCap)
            if passedCap, let path = spool.path {
                logs.append(KeptFile(name: name, content: .copied(path: path, size: spool.size)))
            }
        }
        return (termination, logs)
    }

    private func resolve(_ command: String) -> String? {
        for directory in settings.searchPath {
            let candidate = directory + "/" + command
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    private func makeWorkDirectory(root: String, owner: (uid: uid_t, gid: gid_t)?) -> String? {
        var template = Array((root + "/cloudtask-job-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { return nil }
        let path = String(cString: made)
        if let owner, chown(path, owner.uid, owner.gid) != 0 {
            try? FileManager.default.removeItem(atPath: path)
            return nil
        }
        return path
    }

    static func account(named name: String) -> (uid: uid_t, gid: gid_t)? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return (entry.pw_uid, entry.pw_gid)
    }
}

/// The elements of three sequences side by side, as far as the shortest goes.
private func zip3<A: Sequence, B: Sequence, C: Sequence>(_ a: A, _ b: B, _ c: C) -> [(A.Element, B.Element, C.Element)] {
    zip(zip(a, b), c).map { ($0.0, $0.1, $1) }
}
