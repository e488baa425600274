import CSpawn
import Domain
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The box every run goes in (docs/isolation.md): PID, mount, network, IPC and UTS
/// namespaces, a cgroup per run with its limits, and a uid per run. Made once per worker
/// by `start`, which finds what the kernel allows and, in mode `on`, refuses to go on
/// without all of it.
public final class Sandbox: Sendable {
    public let settings: SandboxSettings
    /// What this worker boxes runs with (and what it lacks), for logs, readiness and metrics.
    public let capabilities: SandboxCapabilities
    let namespaces: Int32
    let cgroups: (any CgroupDriver)?
    let users: JobUserPool
    let networks = NetworkNamespacePool()
    let initPath: String

    init(
        settings: SandboxSettings, capabilities: SandboxCapabilities, namespaces: Int32, cgroups: (any CgroupDriver)?,
        initPath: String
    ) {
        self.initPath = initPath
        self.settings = settings
        self.capabilities = capabilities
        self.namespaces = namespaces
        self.cgroups = cgroups
        users = JobUserPool(range: settings.users)
    }

    static let namespaceFlags: [(name: String, flag: Int32)] = [
        ("pid", Int32(CT_NEWPID)), ("mount", Int32(CT_NEWNS)), ("network", Int32(CT_NEWNET)),
        ("ipc", Int32(CT_NEWIPC)), ("uts", Int32(CT_NEWUTS)),
    ]

    /// Finds what this process may use, prepares the cgroups and the runs' directory, and
    /// removes what crashed workers left. Mode `off`: nil. Mode `on` with anything
    /// missing: throws, naming it and the setting that would let the worker run without it.
    public static func start(settings: SandboxSettings) throws(SandboxStartError) -> Sandbox? {
        guard settings.mode != .off else { return nil }
        var missing: [String] = []
        var available: [String] = []
        var flags: Int32 = 0
        let root = geteuid() == 0
        if !root { missing.append("root (namespaces, cgroups and per-run users need it)") }
        let initPath = settings.initPath ?? Self.besideExecutable("cloudtask-box-init")
        let hasInit = access(initPath, X_OK) == 0
        if !hasInit { missing.append("the box's init program \(initPath)") }
        for (name, flag) in namespaceFlags where hasInit {
            if root && probe(namespaces: flag, initPath: initPath, settings: settings) {
                flags |= flag
                available.append("\(name) namespace")
            } else if root {
                missing.append("\(name) namespace")
            }
        }
        var driver: (any CgroupDriver)?
        if root {
            let mounts = CgroupFiles.mounts(mountinfo: CgroupIO.read("/proc/self/mountinfo") ?? "")
            let membership = CgroupFiles.membership(procSelfCgroup: CgroupIO.read("/proc/self/cgroup") ?? "")
            if let v2 = CgroupV2.detect(mounts: mounts, membership: membership), (try? v2.prepare()) != nil {
                driver = v2
            } else if let v1 = CgroupV1.detect(mounts: mounts, membership: membership) {
                driver = v1
            }
            if let found = driver, probe(cgroups: found, limits: settings.defaults) {
                found.sweep()
                available.append("cgroups v\(found.version)")
            } else {
                driver = nil
                missing.append("cgroups with the memory, cpu and pids controllers")
            }
            if mkdir(settings.workRoot, 0o711) != 0 && errno != EEXIST {
                missing.append("the runs' directory \(settings.workRoot)")
            }
        }
        let capabilities = SandboxCapabilities(mode: settings.mode, available: available, missing: missing)
        if settings.mode == .on && !missing.isEmpty { throw SandboxStartError(missing: missing) }
        return Sandbox(
            settings: settings, capabilities: capabilities, namespaces: flags, cgroups: hasInit ? driver : nil,
            initPath: initPath)
    }

    /// `name` in the directory of this process's executable.
    static func besideExecutable(_ name: String) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return name }
        let executable = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(executable[..<(executable.lastIndex(of: "/") ?? executable.startIndex)]) + "/" + name
    }

    /// Whether a box with just these namespaces can run `true`.
    /// (With the mounts of a real run, so that a path they cover, such as an init program
    /// under /tmp, fails here and not on the first job.)
    private static func probe(namespaces: Int32, initPath: String, settings: SandboxSettings) -> Bool {
        let candidates: [String] = ["/usr/bin/true", "/bin/true"]
        guard let path = candidates.first(where: { access($0, X_OK) == 0 }) else { return false }
        let spawn = PreparedSpawn(
            displayName: "true", path: path, arguments: [], environment: [], directory: "/",
            identity: (65_534, 65_534), limits: ResourceLimits(),
            box: SpawnBox(
                initPath: initPath, namespaces: namespaces, procsFDs: [], hiddenPaths: settings.hiddenPaths,
                privatePaths: settings.privatePaths, tmpBytes: 1 << 20))
        var pid: pid_t = 0
        var out: Int32 = -1
        var err: Int32 = -1
        var status: Int32 = -1
        guard spawn.withRequest({ ct_spawn($0, &pid, &out, &err, &status) }) == 0 else { return false }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        var programStatus: Int32 = -1
        let reported = ct_read_status(status, &programStatus) == 1
        for fd in [out, err, status] { close(fd) }
        return reported && programStatus == 0
    }

    /// Whether a run's cgroup can be made, limited and removed.
    private static func probe(cgroups: any CgroupDriver, limits: RunLimits) -> Bool {
        guard let run = try? cgroups.makeRun(named: "w\(getpid())-probe") else { return false }
        defer { run.remove() }
        return (try? run.apply(limits)) != nil
    }

    /// The box of one run: its uid, working directory, cgroup (limits applied) and the
    /// spawn's part. `release` undoes it all.
    func makeBox(limits: RunLimits) throws(SandboxError) -> RunBox {
        guard let uid = users.take() else {
            throw SandboxError(description: "every uid of the configured range is in use")
        }
        var cgroup: (any RunCgroup)?
        var fds: [Int32] = []
        var network: Int32 = -1
        do throws(SandboxError) {
            if namespaces & Int32(CT_NEWNET) != 0 { network = try networks.take() }
            if let cgroups {
                let run = try cgroups.makeRun(named: "w\(getpid())-\(UUID().uuidString.lowercased())")
                cgroup = run
                try run.apply(limits)
                run.applyIOWeight(settings.ioWeight)
                for file in run.procsFiles {
                    let fd = open(file, O_WRONLY | O_CLOEXEC)
                    guard fd >= 0 else { throw SandboxError(description: "cannot open \(file)") }
                    fds.append(fd)
                }
            }
        } catch {
            for fd in fds { close(fd) }
            cgroup?.remove()
            if network >= 0 { networks.give(network) }
            users.give(uid)
            throw error
        }
        let spawn = SpawnBox(
            initPath: initPath, namespaces: namespaces, networkFD: network, procsFDs: fds,
            hiddenPaths: settings.hiddenPaths, privatePaths: settings.privatePaths, tmpBytes: settings.tmpBytes)
        return RunBox(uid: uid, limits: limits, cgroup: cgroup, spawn: spawn)
    }

    /// After the run: what it used and which limit it met; then no task of it is left,
    /// its cgroup is gone and its uid is free again.
    func release(_ box: RunBox) -> (usage: ResourceUsage?, memoryKilled: Bool, tasksRefused: Bool) {
        defer {
            // After killAll: no process of the run is left in its network namespace.
            if box.spawn.networkFD >= 0 { networks.give(box.spawn.networkFD) }
            users.give(box.uid)
        }
        guard let cgroup = box.cgroup else { return (nil, false, false) }
        cgroup.killAll()
        let result = (cgroup.usage(), cgroup.memoryKills() > 0, cgroup.tasksRefused() > 0)
        cgroup.remove()
        return result
    }
}

/// One run's share of the sandbox.
struct RunBox: Sendable {
    let uid: UInt32
    let limits: RunLimits
    let cgroup: (any RunCgroup)?
    let spawn: SpawnBox
}

/// What a worker's box has and lacks.
public struct SandboxCapabilities: Sendable, Equatable {
    public let mode: SandboxSettings.Mode
    public let available: [String]
    public let missing: [String]

    /// One line for logs and the readiness answer.
    public var summary: String {
        let has = available.isEmpty ? "nothing" : available.joined(separator: ", ")
        return missing.isEmpty
            ? "sandbox \(mode.rawValue): \(has)" : "sandbox \(mode.rawValue): \(has); missing: \(missing.joined(separator: ", "))"
    }
}

/// Mode `on`, and the kernel (or the worker's privileges) refuses part of the box.
public struct SandboxStartError: Error, CustomStringConvertible {
    public let missing: [String]
    public var description: String {
        "the job sandbox is incomplete on this host (missing: \(missing.joined(separator: ", "))); "
            + "run the worker as root on a kernel that allows them, or set CLOUDTASK_SANDBOX=partial to run "
            + "with what is there, or =off to run without it"
    }
}
