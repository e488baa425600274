import Domain
import Foundation
import Ports
import Synchronization
import Testing

@testable import Infrastructure

#if canImport(Glibc)
    import Glibc
#endif

/// The job sandbox on this machine's kernel (cgroup v1, namespaces), as root: what each
/// layer stops, tried by the programs a hostile user would submit.
/// One sandbox for the suite (made once: its probes spawn).
enum SandboxFixture {
    static let sandbox: Sandbox? = {
        guard geteuid() == 0 else { return nil }
        return try? Sandbox.start(
            settings: SandboxSettings(mode: .on, defaults: RunLimits(memoryBytes: 256 << 20, cpu: 1, tasks: 64)))
    }()
}

@Suite("The job sandbox (real kernel)", .serialized, .enabled(if: SandboxFixture.sandbox != nil))
struct SandboxTests {
    static var sandbox: Sandbox? { SandboxFixture.sandbox }

    static let commands = CommandAllowlist(["echo", "sleep", "sh", "cat", "ps", "python3", "id", "true", "ls", "hostname"])

    func runner() throws -> IsolatedProcessRunner {
        IsolatedProcessRunner(
            settings: ProcessRunnerSettings(
                allowlist: Self.commands, outputLimitBytes: 1 << 20, stopGraceSeconds: 1, jobUser: "nobody",
                limits: ResourceLimits()),
            sandbox: Self.sandbox)
    }

    func run(_ command: String, _ args: [String], timeout: Int = 30, limits: RunLimits? = nil) async throws -> (
        ProcessResult, JobOutput
    ) {
        let collector = OutputCollector()
        let result = try await runner().run(
            ProcessSpec(command: command, args: args, timeoutSeconds: timeout, limits: limits)
        ) { collector.add($0) }
        return (result, collector.result)
    }

    @Test("a run sees only its own processes, has its own host name, and runs as a uid of the range")
    func pidNamespace() async throws {
        let (result, output) = try await run("sh", ["-c", "ps -e -o pid=,comm=; hostname; id -u"])
        #expect(result.termination == .exited(0))
        let lines = output.stdout.split(separator: "\n")
        let processes = lines.dropLast(2)
        // The box's init (pid 1), sh (2), ps: nothing of the host's.
        #expect(processes.count <= 4, "\(output.stdout)")
        #expect(processes.first?.split(separator: " ").first == "1")
        #expect(lines.dropLast().last == "cloudtask-job")
        let uid = try #require(lines.last.flatMap { UInt32($0) })
        #expect(Self.sandbox!.settings.users.contains(uid))
    }

    @Test("a run has no network: a connection to a port listening on the host's loopback fails")
    func noNetwork() async throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(bound == 0 && listen(listener, 4) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let probe = "import socket; s = socket.socket(); s.settimeout(3); s.connect(('127.0.0.1', \(port))); print('connected')"
        let (result, output) = try await run("python3", ["-c", probe])
        #expect(result.termination != .exited(0))
        #expect(!output.stdout.contains("connected"))
    }

    @Test("a memory hog ends memory_limit, with its peak reported")
    func memoryHog() async throws {
        let (result, _) = try await run(
            "python3", ["-c", "b = bytearray(512 * 1024 * 1024); print(len(b))"],
            limits: RunLimits(memoryBytes: 64 << 20, cpu: 1, tasks: 16))
        #expect(result.termination == .memoryLimit(bytes: 64 << 20))
        let usage = try #require(result.usage)
        #expect(usage.memoryPeakBytes > 32 << 20 && usage.memoryPeakBytes <= 64 << 20)
    }

    @Test("a fork bomb is held at its tasks limit, reported as tasks_limit, and the machine goes on")
    func forkBomb() async throws {
        let (result, _) = try await run(
            "sh", ["-c", "i=0; while [ $i -lt 500 ]; do sleep 30 & i=$((i+1)); done; wait"], timeout: 20,
            limits: RunLimits(memoryBytes: 256 << 20, cpu: 1, tasks: 20))
        guard case .tasksLimit(tasks: 20, _) = result.termination else {
            Issue.record("\(result.termination)")
            return
        }
        let usage = try #require(result.usage)
        #expect(usage.tasksPeak == 20)
        // And the next run is unaffected.
        #expect(try await run("true", []).0.termination == .exited(0))
    }

    @Test("a CPU spinner held to 0.2 of a core uses about a fifth of its wall time")
    func cpuQuota() async throws {
        let spin = "i=0; while :; do i=$((i+1)); done"
        let (result, _) = try await run(
            "sh", ["-c", spin], timeout: 3, limits: RunLimits(memoryBytes: 64 << 20, cpu: 0.2, tasks: 8))
        #expect(result.termination == .timedOut)
        let usage = try #require(result.usage)
        let cpu = usage.cpuUserSeconds + usage.cpuSystemSeconds
        // 3 s of wall time at 0.2 cores is 0.6 s; without the quota it would be 3 s.
        #expect(cpu > 0.1 && cpu < 1.0, "\(cpu) s of CPU")
    }

    @Test("a stop kills a grandchild that double-forked and left the process group; no cgroup outlives its run")
    func stopKillsEverything() async throws {
        let marker = "\(Int.random(in: 100_000...999_999))"
        let task = Task {
            try await run("sh", ["-c", "(setsid sleep 1\(marker) &); (sleep 2\(marker) &); sleep 3\(marker)"], timeout: 600)
        }
        try await Task.sleep(for: .milliseconds(700))
        task.cancel()
        let (result, _) = try await task.value
        #expect(result.termination == .stopped)
        try await Task.sleep(for: .milliseconds(300))
        #expect(Self.processes(containing: marker).isEmpty)
        #expect(Self.runCgroups().isEmpty)
    }

    @Test(
        "network namespaces are kept and reused, one run in each at a time: two runs at once are apart, a later run finds nothing of an earlier one"
    )
    func networkNamespacesReused() async throws {
        let name = "ct-netns-\(UUID().uuidString.prefix(8))"
        let ns = "import os; print(os.readlink('/proc/self/ns/net'), flush=True)"
        let connect = """
            import socket
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect('\\0\(name)'); print('connected')
            except OSError:
                print('refused')
            print(socket.if_nameindex())
            """
        let listen = "import socket, time; s = socket.socket(socket.AF_UNIX); s.bind('\\0\(name)'); s.listen(1); time.sleep(2)"
        let first = Task { try await run("python3", ["-c", "\(ns)\n\(listen)"]) }
        try await Task.sleep(for: .milliseconds(700))
        let (during, duringOutput) = try await run("python3", ["-c", "\(ns)\n\(connect)"])
        let (firstResult, firstOutput) = try await first.value
        let (after, afterOutput) = try await run("python3", ["-c", "\(ns)\n\(connect)"])
        #expect(firstResult.termination == .exited(0) && during.termination == .exited(0) && after.termination == .exited(0))
        let host = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
        let firstNS = firstOutput.stdout.split(separator: "\n").first.map(String.init)
        let duringLines = duringOutput.stdout.split(separator: "\n").map(String.init)
        let afterLines = afterOutput.stdout.split(separator: "\n").map(String.init)
        // Two runs at once: two namespaces, neither the host's; the second cannot reach the first's socket.
        #expect(firstNS != nil && firstNS != duringLines.first && firstNS != host && duringLines.first != host)
        #expect(duringLines.dropFirst().first == "refused", "\(duringOutput.stdout)")
        // Later: one of the two again (kept, not made anew), with only its loopback device and no socket left.
        #expect(afterLines.first == firstNS || afterLines.first == duringLines.first, "\(afterOutput.stdout)")
        #expect(afterLines.dropFirst().first == "refused", "\(afterOutput.stdout)")
        #expect(afterLines.dropFirst(2).first == "[(1, 'lo')]", "\(afterOutput.stdout)")
        #expect(Self.sandbox!.networks.idle >= 2)
    }

    @Test("a run cannot read another running run's files, and its /tmp is its own")
    func runsAreApart() async throws {
        let first = Task {
            try await run("sh", ["-c", "echo secret > mine; echo private > /tmp/note; sleep 3; cat /tmp/note"])
        }
        try await Task.sleep(for: .milliseconds(800))
        // The first run is not even visible: /proc holds the second's own processes only.
        let (listing, processes) = try await run("sh", ["-c", "ls /proc | grep -c '^[0-9]'"])
        #expect(listing.termination == .exited(0))
        #expect((Int(processes.stdout.filter(\.isNumber)) ?? 99) <= 4, "\(processes.stdout)")
        for probe in ["cat \(Self.sandbox!.settings.workRoot)/*/mine", "cat /tmp/note", "cat /proc/*/environ | grep -c secret"] {
            let (second, output) = try await run("sh", ["-c", probe])
            #expect(second.termination != .exited(0), "\(probe)")
            #expect(!output.stdout.contains("secret") && !output.stdout.contains("private"))
        }
        let (firstResult, firstOutput) = try await first.value
        #expect(firstResult.termination == .exited(0) && firstOutput.stdout == "private\n")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/note"))
    }

    @Test("the box's init program may live under a path the box covers (a checkout under /tmp)")
    func initUnderTmp() async throws {
        let copy = "/tmp/cloudtask-box-init-\(getpid())"
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: Self.sandbox!.initPath, toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        var settings = Self.sandbox!.settings
        settings.initPath = copy
        let sandbox = try #require(try Sandbox.start(settings: settings))
        let runner = IsolatedProcessRunner(
            settings: ProcessRunnerSettings(
                allowlist: Self.commands, outputLimitBytes: 1 << 20, stopGraceSeconds: 1, jobUser: "nobody",
                limits: ResourceLimits()),
            sandbox: sandbox)
        let result = await runner.run(ProcessSpec(command: "true", args: [], timeoutSeconds: 10)) { _ in }
        #expect(result.termination == .exited(0))
    }

    @Test("a run's cgroup gets the configured block I/O weight where the controller has one")
    func ioWeight() throws {
        let sandbox = try #require(Self.sandbox)
        let box = try sandbox.makeBox(limits: sandbox.settings.defaults)
        defer { _ = sandbox.release(box) }
        let run = try #require(box.cgroup as? CgroupV1Run)
        if let weight = run.ioWeight() { #expect(weight == sandbox.settings.ioWeight) }
    }

    @Test("what a run has used is measured while it runs")
    func usageWhileRunning() async throws {
        let runner = IsolatedProcessRunner(
            settings: ProcessRunnerSettings(
                allowlist: Self.commands, outputLimitBytes: 1 << 20, stopGraceSeconds: 1, jobUser: "nobody",
                limits: ResourceLimits()),
            sandbox: Self.sandbox, usageInterval: .milliseconds(200))
        let samples = Mutex<[ResourceUsage]>([])
        let result = await runner.run(
            ProcessSpec(
                command: "sh", args: ["-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; sleep 0.5"], timeoutSeconds: 30),
            onOutput: { _ in }, onUsage: { usage in samples.withLock { $0.append(usage) } })
        #expect(result.termination == .exited(0))
        let seen = samples.withLock { $0 }
        #expect(seen.count >= 2, "\(seen.count) samples")
        #expect(seen.last.map { $0.cpuUserSeconds + $0.cpuSystemSeconds > 0 && $0.tasksPeak >= 1 } == true)
    }

    @Test("the box's usage is reported for an ordinary run")
    func usageReported() async throws {
        let (result, _) = try await run("sh", ["-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"])
        #expect(result.termination == .exited(0))
        let usage = try #require(result.usage)
        #expect(usage.cpuUserSeconds + usage.cpuSystemSeconds > 0 && usage.tasksPeak >= 1 && usage.memoryPeakBytes > 0)
    }

    /// Host processes whose command line contains `text`.
    static func processes(containing text: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { $0.allSatisfy(\.isNumber) }.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let line = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return line.contains(text) ? line : nil
        }
    }

    /// This process's run cgroups left in the pids hierarchy.
    static func runCgroups() -> [String] {
        let membership = CgroupFiles.membership(procSelfCgroup: CgroupIO.read("/proc/self/cgroup") ?? "")
        let base = "/sys/fs/cgroup/pids" + (membership["pids"].map { $0 == "/" ? "" : $0 } ?? "")
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        return entries.filter { $0.hasPrefix("cloudtask-w\(getpid())-") && !$0.hasSuffix("-probe") }
    }
}

/// The cgroup files' formats, without a kernel (both versions).
@Suite("cgroup file formats")
struct CgroupFilesTests {
    @Test("mountinfo: v1 hierarchies with their controllers, v2, escaped paths")
    func mounts() {
        let text = """
            31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
            35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            36 31 0:33 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
            40 31 0:37 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate
            41 31 0:38 / /mnt/with\\040space rw - cgroup cgroup rw,pids
            """
        let mounts = CgroupFiles.mounts(mountinfo: text)
        #expect(mounts.count == 5)
        #expect(mounts[0] == .init(path: "/sys/fs/cgroup/cpu", version: 1, controllers: ["cpu"]))
        #expect(mounts[2].controllers == ["cpu", "cpuacct"])
        #expect(mounts[3] == .init(path: "/sys/fs/cgroup/unified", version: 2, controllers: []))
        #expect(mounts[4].path == "/mnt/with space")
    }

    @Test("/proc/self/cgroup: a path per v1 controller and the v2 path")
    func membership() {
        let text = "9:name=systemd:/\n4:memory:/process_api/abc\n2:cpu,cpuacct:/x\n0::/user.slice\n"
        let membership = CgroupFiles.membership(procSelfCgroup: text)
        #expect(membership["memory"] == "/process_api/abc" && membership["cpu"] == "/x" && membership["cpuacct"] == "/x")
        #expect(membership[""] == "/user.slice")
    }

    @Test("v1 drivers are made from the required hierarchies under this process's cgroup, or not at all")
    func v1Detection() {
        let mounts: [CgroupFiles.Mount] = [
            .init(path: "/c/memory", version: 1, controllers: ["memory"]),
            .init(path: "/c/cpu", version: 1, controllers: ["cpu"]),
            .init(path: "/c/pids", version: 1, controllers: ["pids"]),
        ]
        let driver = CgroupV1.detect(mounts: mounts, membership: ["memory": "/a/b", "cpu": "/", "pids": "/"])
        #expect(driver?.bases == ["memory": "/c/memory/a/b", "cpu": "/c/cpu", "pids": "/c/pids"])
        #expect(CgroupV1.detect(mounts: Array(mounts.dropLast()), membership: ["memory": "/", "cpu": "/"]) == nil)
    }

    @Test("limits in v2's formats; CPU quotas against a 100 ms period, at least 1 ms")
    func v2Limits() {
        let files = CgroupV2Run.limitFiles(RunLimits(memoryBytes: 256 << 20, cpu: 0.5, tasks: 64))
        #expect(files.map(\.file) == ["memory.max", "memory.swap.max", "cpu.max", "pids.max"])
        #expect(files.map(\.value) == ["268435456", "0", "50000 100000", "64"])
        #expect(CgroupFiles.cpuQuotaMicroseconds(cores: 0.001) == 1_000)
        #expect(CgroupV2.subtreeControl(io: true) == "+memory +cpu +pids +io")
    }

    @Test("usage from v2's cpu.stat, memory.peak, pids.peak and io.stat; events from memory.events and pids.events")
    func v2Usage() {
        let usage = CgroupV2Run.usage(
            cpuStat: "usage_usec 3000000\nuser_usec 2500000\nsystem_usec 500000\n", memoryPeak: "1048576\n",
            pidsPeak: "7\n", ioStat: "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2\n8:16 rbytes=1 wbytes=2\n")
        #expect(
            usage
                == ResourceUsage(
                    cpuUserSeconds: 2.5, cpuSystemSeconds: 0.5, memoryPeakBytes: 1_048_576, tasksPeak: 7, ioReadBytes: 4097,
                    ioWriteBytes: 8194))
        #expect(CgroupFiles.keyedValues("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")["oom_kill"] == 1)
        #expect(CgroupFiles.v1IOBytes("8:0 Read 10\n8:0 Write 20\n8:0 Total 30\nTotal 30\n") == (10, 20))
        #expect(CgroupFiles.number("max\n") == nil && CgroupFiles.number("42\n") == 42)
    }
}

@Suite("Job user pool")
struct JobUserPoolTests {
    @Test("uids are lent in turn: one given back comes back after every other free one, and none is lent twice")
    func inTurn() {
        let pool = JobUserPool(range: 100...103)
        let first = (0..<4).compactMap { _ in pool.take() }
        #expect(first == [100, 101, 102, 103] && pool.take() == nil)
        pool.give(101)
        pool.give(100)
        #expect(pool.take() == 101 && pool.take() == 100 && pool.take() == nil)
        for round in 0..<10_000 {
            let uid = pool.take()
            #expect(uid == nil, "round \(round)")
            pool.give(UInt32(100 + round % 4))
            #expect(pool.take() == UInt32(100 + round % 4))
        }
    }
}
