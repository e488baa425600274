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

    /// What any deployment can enforce; a deployment's maxima are within these.
    public static let memoryBytesRange = (4 << 20)...(1 << 40)
    public static let cpuRange = 0.01...1024.0
    public static let tasksRange = 1...1_000_000

    /// The fields (as the API names them) above `maxima`, with the maximum of each.
    public func exceeding(_ maxima: RunLimits) -> [(field: String, maximum: String)] {
        var fields: [(String, String)] = []
        if memoryBytes > maxima.memoryBytes { fields.append(("limits.memory_bytes", "\(maxima.memoryBytes)")) }
        if cpu > maxima.cpu { fields.append(("limits.cpu", "\(maxima.cpu)")) }
        if tasks > maxima.tasks { fields.append(("limits.tasks", "\(maxima.tasks)")) }
        return fields
    }
}

/// The limits a submission asks for: each one given, or left to the deployment's default.
public struct LimitRequest: Hashable, Sendable, Codable {
    public var memoryBytes: Int?
    public var cpu: Double?
    public var tasks: Int?

    public init(memoryBytes: Int? = nil, cpu: Double? = nil, tasks: Int? = nil) {
        self.memoryBytes = memoryBytes
        self.cpu = cpu
        self.tasks = tasks
    }

    /// The fields (as the API names them) outside what any deployment can enforce, with why.
    public var outOfRange: [(field: String, message: String)] {
        var fields: [(String, String)] = []
        if let memoryBytes, !RunLimits.memoryBytesRange.contains(memoryBytes) {
            fields.append(("limits.memory_bytes", "must be \(RunLimits.memoryBytesRange.lowerBound) to 2^40 bytes"))
        }
        if let cpu, !cpu.isFinite || !RunLimits.cpuRange.contains(cpu) {
            fields.append(("limits.cpu", "must be 0.01 to 1024 cores"))
        }
        if let tasks, !RunLimits.tasksRange.contains(tasks) {
            fields.append(("limits.tasks", "must be 1 to \(RunLimits.tasksRange.upperBound)"))
        }
        return fields
    }

    /// The limits that apply: those asked for, the defaults for the rest.
    public func resolved(defaults: RunLimits) -> RunLimits {
        RunLimits(memoryBytes: memoryBytes ?? defaults.memoryBytes, cpu: cpu ?? defaults.cpu, tasks: tasks ?? defaults.tasks)
    }

    /// Whether `limits` are what this request would have been given.
    public func matches(_ limits: RunLimits?) -> Bool {
        guard let limits else { return memoryBytes == nil && cpu == nil && tasks == nil }
        return (memoryBytes ?? limits.memoryBytes) == limits.memoryBytes && (cpu ?? limits.cpu) == limits.cpu
            && (tasks ?? limits.tasks) == limits.tasks
    }
}
