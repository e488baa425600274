import Domain

#if canImport(Glibc)
    import Glibc
#endif

/// cgroup v2: one hierarchy. A cgroup with processes of its own cannot enable controllers
/// for its children ("no internal processes"), so at start the worker moves itself into a
/// leaf `<own>/cloudtask-supervisor` and enables memory, cpu, pids (and io) on `<own>`;
/// each run is `<own>/cloudtask-<name>`. Under systemd this needs `Delegate=yes` on the
/// worker's unit (docs/isolation.md).
///
/// Not run on the machines this project is tested on (their v2 hierarchy has only
/// hugetlb); the file formats are tested, and docs/isolation.md says so.
struct CgroupV2: CgroupDriver {
    let base: String
    let io: Bool
    var version: Int { 2 }

    static let required: Set<String> = ["memory", "cpu", "pids"]

    /// The driver, if v2 is mounted with the required controllers available to this
    /// process's cgroup; `prepare()` must succeed before runs are made.
    static func detect(mounts: [CgroupFiles.Mount], membership: [String: String]) -> CgroupV2? {
        guard let mount = mounts.first(where: { $0.version == 2 }), let own = membership[""] else { return nil }
        let base = mount.path + (own == "/" ? "" : own)
        let available = Set(
            (CgroupIO.read(base + "/cgroup.controllers") ?? "").split(whereSeparator: \.isWhitespace).map(String.init))
        guard required.isSubset(of: available) else { return nil }
        return CgroupV2(base: base, io: available.contains("io"))
    }

    /// Moves this process into its leaf and enables the controllers for the runs.
    func prepare() throws(SandboxError) {
        let leaf = base + "/cloudtask-supervisor"
        try CgroupIO.makeDirectory(leaf)
        try CgroupIO.write("0", to: leaf + "/cgroup.procs")
        try CgroupIO.write(Self.subtreeControl(io: io), to: base + "/cgroup.subtree_control")
    }

    static func subtreeControl(io: Bool) -> String { "+memory +cpu +pids" + (io ? " +io" : "") }

    func makeRun(named name: String) throws(SandboxError) -> any RunCgroup {
        let directory = base + "/cloudtask-" + name
        try CgroupIO.makeDirectory(directory)
        return CgroupV2Run(directory: directory)
    }

    func sweep() {
        for orphan in CgroupIO.orphans(in: base) {
            try? CgroupIO.write("1", to: orphan + "/cgroup.kill")
            CgroupIO.removeDirectory(orphan)
        }
    }
}

struct CgroupV2Run: RunCgroup {
    let directory: String

    var procsFiles: [String] { [directory + "/cgroup.procs"] }

    /// The files and values that hold a run to `limits`, in the order written.
    static func limitFiles(_ limits: RunLimits) -> [(file: String, value: String)] {
        [
            ("memory.max", "\(limits.memoryBytes)"),
            ("memory.swap.max", "0"),
            ("cpu.max", CgroupFiles.v2CPUMax(cores: limits.cpu)),
            ("pids.max", "\(limits.tasks)"),
        ]
    }

    func apply(_ limits: RunLimits) throws(SandboxError) {
        for (name, value) in Self.limitFiles(limits) {
            let path = directory + "/" + name
            // memory.swap.max is absent without swap accounting; nothing to turn off then.
            if name == "memory.swap.max" && !CgroupIO.exists(path) { continue }
            try CgroupIO.write(value, to: path)
        }
    }

    func applyIOWeight(_ weight: Int) {
        let path = directory + "/io.weight"
        if CgroupIO.exists(path) { try? CgroupIO.write("default \(weight)", to: path) }
    }

    static func usage(cpuStat: String?, memoryPeak: String?, pidsPeak: String?, ioStat: String?) -> ResourceUsage {
        let cpu = cpuStat.map(CgroupFiles.keyedValues) ?? [:]
        let io = ioStat.map(CgroupFiles.v2IOBytes)
        return ResourceUsage(
            cpuUserSeconds: Double(cpu["user_usec"] ?? 0) / 1e6, cpuSystemSeconds: Double(cpu["system_usec"] ?? 0) / 1e6,
            memoryPeakBytes: memoryPeak.flatMap(CgroupFiles.number) ?? 0, tasksPeak: pidsPeak.flatMap(CgroupFiles.number) ?? 0,
            ioReadBytes: io?.read ?? 0, ioWriteBytes: io?.write ?? 0)
    }

    func usage() -> ResourceUsage {
        Self.usage(
            cpuStat: CgroupIO.read(directory + "/cpu.stat"), memoryPeak: CgroupIO.read(directory + "/memory.peak"),
            pidsPeak: CgroupIO.read(directory + "/pids.peak"), ioStat: CgroupIO.read(directory + "/io.stat"))
    }

    func memoryKills() -> Int {
        CgroupIO.read(directory + "/memory.events").map(CgroupFiles.keyedValues)?["oom_kill"] ?? 0
    }

    func tasksRefused() -> Int {
        CgroupIO.read(directory + "/pids.events").map(CgroupFiles.keyedValues)?["max"] ?? 0
    }

    func killAll() {
        // cgroup.kill (Linux 5.14) ends every task at once, forks included.
        if (try? CgroupIO.write("1", to: directory + "/cgroup.kill")) == nil {
            CgroupIO.killAll(procsFile: directory + "/cgroup.procs")
        }
    }

    func remove() { CgroupIO.removeDirectory(directory) }
}
