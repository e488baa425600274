/// What one run of a job used, read from its cgroup when it ended.
public struct ResourceUsage: Hashable, Sendable, Codable {
    public var cpuUserSeconds: Double
    public var cpuSystemSeconds: Double
    public var memoryPeakBytes: Int
    public var tasksPeak: Int
    public var ioReadBytes: Int
    public var ioWriteBytes: Int

    public init(
        cpuUserSeconds: Double = 0, cpuSystemSeconds: Double = 0, memoryPeakBytes: Int = 0, tasksPeak: Int = 0,
        ioReadBytes: Int = 0, ioWriteBytes: Int = 0
    ) {
        self.cpuUserSeconds = cpuUserSeconds
        self.cpuSystemSeconds = cpuSystemSeconds
        self.memoryPeakBytes = memoryPeakBytes
        self.tasksPeak = tasksPeak
        self.ioReadBytes = ioReadBytes
        self.ioWriteBytes = ioWriteBytes
    }
}

/// The limits one run is held to by its cgroup: memory (swap included), CPU in cores
/// (0.5 is half of one core's time), and tasks (processes and threads at once).
public struct RunLimits: Hashable, Sendable, Codable {
    public var memoryBytes: Int
    public var cpu: Double
    public var tasks: Int

    public init(memoryBytes: Int, cpu: Double, tasks: Int) {
        self.memoryBytes = memoryBytes
        self.cpu = cpu
        self.tasks = tasks
    }
}
