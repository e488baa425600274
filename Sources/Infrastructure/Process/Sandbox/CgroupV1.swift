import Domain

#if canImport(Glibc)
    import Glibc
#endif

/// cgroup v1: one hierarchy per controller (`/sys/fs/cgroup/memory`, `…/cpu`, …). A run
/// gets a directory in each of memory, cpu, pids (required), cpuacct, blkio and freezer
/// (when mounted), under this process's own cgroup in that hierarchy.
struct CgroupV1: CgroupDriver {
    /// Controller → the directory runs are made in (this process's cgroup there).
    let bases: [String: String]
    var version: Int { 1 }

    static let required: Set<String> = ["memory", "cpu", "pids"]
    static let optional: Set<String> = ["cpuacct", "blkio", "freezer"]

    /// The driver for these mounts and this process's membership, if the required
    /// controllers are mounted.
    static func detect(mounts: [CgroupFiles.Mount], membership: [String: String]) -> CgroupV1? {
        var bases: [String: String] = [:]
        for controller in required.union(optional) {
            guard let mount = mounts.first(where: { $0.version == 1 && $0.controllers.contains(controller) }),
                let own = membership[controller]
            else { continue }
            bases[controller] = mount.path + (own == "/" ? "" : own)
        }
        guard required.isSubset(of: bases.keys) else { return nil }
        return CgroupV1(bases: bases)
    }

    func makeRun(named name: String) throws(SandboxError) -> any RunCgroup {
        var directories: [String: String] = [:]
        do {
            for (controller, base) in bases {
                let directory = base + "/cloudtask-" + name
                try CgroupIO.makeDirectory(directory)
                directories[controller] = directory
            }
        } catch {
            for directory in directories.values { CgroupIO.removeDirectory(directory) }
            throw error
        }
        return CgroupV1Run(directories: directories)
    }

    func sweep() {
        for base in Set(bases.values) {
            for orphan in CgroupIO.orphans(in: base) {
                CgroupIO.killAll(procsFile: orphan + "/cgroup.procs")
                CgroupIO.removeDirectory(orphan)
            }
        }
    }
}

struct CgroupV1Run: RunCgroup {
    let directories: [String: String]

    private func file(_ controller: String, _ name: String) -> String? {
        directories[controller].map { $0 + "/" + name }
    }

    /// The `tasks` files, not `cgroup.procs`: the init joins while it is a single thread,
    /// and the kernel moves "the writing thread" (pid 0 in `tasks`) without taking the
    /// global threadgroup lock, whose write side waits for an RCU grace period (about
    /// 10 ms on an idle machine) on every move of a whole process.
    var procsFiles: [String] { Set(directories.values).sorted().map { $0 + "/tasks" } }

    func apply(_ limits: RunLimits) throws(SandboxError) {
        if let path = file("memory", "memory.limit_in_bytes") { try CgroupIO.write("\(limits.memoryBytes)", to: path) }
        // Swap off: memory and swap together may not exceed the memory limit.
        if let path = file("memory", "memory.memsw.limit_in_bytes"), CgroupIO.exists(path) {
            try CgroupIO.write("\(limits.memoryBytes)", to: path)
        }
        if let path = file("cpu", "cpu.cfs_period_us") {
            try CgroupIO.write("\(CgroupFiles.cpuPeriodMicroseconds)", to: path)
        }
        if let path = file("cpu", "cpu.cfs_quota_us") {
            try CgroupIO.write("\(CgroupFiles.cpuQuotaMicroseconds(cores: limits.cpu))", to: path)
        }
        if let path = file("pids", "pids.max") { try CgroupIO.write("\(limits.tasks)", to: path) }
    }

    func applyIOWeight(_ weight: Int) {
        for name in ["blkio.bfq.weight", "blkio.weight"] {
            if let path = file("blkio", name), CgroupIO.exists(path) {
                try? CgroupIO.write("\(weight)", to: path)
                return
            }
        }
    }

    /// The weight a run got, if the controller has one (for tests).
    func ioWeight() -> Int? {
        ["blkio.bfq.weight", "blkio.weight"].lazy.compactMap { self.file("blkio", $0).flatMap(CgroupIO.read) }.first
            .flatMap { CgroupFiles.number($0.split(separator: "\n").first.map(String.init) ?? "") }
    }

    func usage() -> ResourceUsage {
        func number(_ controller: String, _ name: String) -> Int {
            file(controller, name).flatMap(CgroupIO.read).flatMap(CgroupFiles.number) ?? 0
        }
        let io = file("blkio", "blkio.throttle.io_service_bytes").flatMap(CgroupIO.read).map(CgroupFiles.v1IOBytes)
        return ResourceUsage(
            cpuUserSeconds: Double(number("cpuacct", "cpuacct.usage_user")) / 1e9,
            cpuSystemSeconds: Double(number("cpuacct", "cpuacct.usage_sys")) / 1e9,
            memoryPeakBytes: number("memory", "memory.max_usage_in_bytes"),
            tasksPeak: number("pids", "pids.peak"),
            ioReadBytes: io?.read ?? 0, ioWriteBytes: io?.write ?? 0)
    }

    func memoryKills() -> Int {
        file("memory", "memory.oom_control").flatMap(CgroupIO.read).map(CgroupFiles.keyedValues)?["oom_kill"] ?? 0
    }

    func tasksRefused() -> Int {
        file("pids", "pids.events").flatMap(CgroupIO.read).map(CgroupFiles.keyedValues)?["max"] ?? 0
    }

    /// Freezes the cgroup (when the freezer is mounted) so that nothing forks while it is
    /// being emptied, kills every task, and thaws it so the kills are delivered.
    func killAll() {
        guard let procs = file("pids", "cgroup.procs"), !CgroupIO.pids(procs).isEmpty else { return }
        let state = file("freezer", "freezer.state")
        if let state { try? CgroupIO.write("FROZEN", to: state) }
        for pid in CgroupIO.pids(procs) { kill(pid, SIGKILL) }
        if let state { try? CgroupIO.write("THAWED", to: state) }
        CgroupIO.killAll(procsFile: procs)
    }

    func remove() {
        for directory in Set(directories.values) { CgroupIO.removeDirectory(directory) }
    }
}
