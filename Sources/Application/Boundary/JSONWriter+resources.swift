public import Domain

extension JSONWriter {
    /// A run's usage as the API and the queue messages both write it (keys sorted).
    public mutating func usage(_ usage: ResourceUsage) {
        object { json in
            json.key("cpu_system_seconds")
            json.double(usage.cpuSystemSeconds)
            json.key("cpu_user_seconds")
            json.double(usage.cpuUserSeconds)
            json.member("io_read_bytes", usage.ioReadBytes)
            json.member("io_write_bytes", usage.ioWriteBytes)
            json.member("memory_peak_bytes", usage.memoryPeakBytes)
            json.member("tasks_peak", usage.tasksPeak)
        }
    }

    /// A job's limits as the API and the dispatch messages both write them (keys sorted).
    public mutating func limits(_ limits: RunLimits) {
        object { json in
            json.key("cpu")
            json.double(limits.cpu)
            json.member("memory_bytes", limits.memoryBytes)
            json.member("tasks", limits.tasks)
        }
    }
}
