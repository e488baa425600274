import Domain

/// The text formats of the cgroup files the sandbox reads and writes, as pure functions
/// (tested without a kernel): `/proc/self/mountinfo`, `/proc/self/cgroup`, and the
/// controllers' files of both versions.
enum CgroupFiles {
    /// A cgroup file system mounted somewhere: v1 with its controllers, or v2.
    struct Mount: Equatable {
        let path: String
        let version: Int
        let controllers: Set<String>
    }

    /// The cgroup mounts of `/proc/self/mountinfo` (fields: … mount-point … - fstype source super-options).
    static func mounts(mountinfo: String) -> [Mount] {
        mountinfo.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let dash = fields.firstIndex(of: "-"), dash + 3 < fields.count + 1, fields.count > 4 else { return nil }
            let type = fields[dash + 1]
            let path = unescape(String(fields[4]))
            if type == "cgroup2" { return Mount(path: path, version: 2, controllers: []) }
            guard type == "cgroup", dash + 3 < fields.count else { return nil }
            let options = fields[dash + 3].split(separator: ",").map(String.init)
            let known: Set<String> = ["cpu", "cpuacct", "memory", "pids", "blkio", "freezer", "cpuset", "devices"]
            return Mount(path: path, version: 1, controllers: Set(options).intersection(known))
        }
    }

    /// mountinfo escapes spaces, tabs, newlines and backslashes as octal (`\040`).
    static func unescape(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3,
                let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// This process's cgroup per v1 controller, and its v2 cgroup under the key "",
    /// from `/proc/self/cgroup` (`hierarchy-id:controllers:path`).
    static func membership(procSelfCgroup: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in procSelfCgroup.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let path = String(parts[2])
            if parts[1].isEmpty {
                result[""] = path
            } else {
                for controller in parts[1].split(separator: ",") { result[String(controller)] = path }
            }
        }
        return result
    }

    /// `key value` lines (memory.oom_control, pids.events, cpu.stat, memory.events).
    static func keyedValues(_ text: String) -> [String: Int] {
        var result: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Int(parts[1]) { result[String(parts[0])] = value }
        }
        return result
    }

    /// A single number (`max` reads as nil).
    static func number(_ text: String) -> Int? {
        Int(text.filter { !$0.isWhitespace })
    }

    /// v1 `blkio.throttle.io_service_bytes`: `MAJ:MIN Read N` lines; summed over devices.
    static func v1IOBytes(_ text: String) -> (read: Int, write: Int) {
        var read = 0
        var write = 0
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 3, let value = Int(parts[2]) else { continue }
            if parts[1] == "Read" { read += value } else if parts[1] == "Write" { write += value }
        }
        return (read, write)
    }

    /// v2 `io.stat`: `MAJ:MIN rbytes=N wbytes=N …` lines; summed over devices.
    static func v2IOBytes(_ text: String) -> (read: Int, write: Int) {
        var read = 0
        var write = 0
        for line in text.split(separator: "\n") {
            for field in line.split(separator: " ").dropFirst() {
                let pair = field.split(separator: "=")
                guard pair.count == 2, let value = Int(pair[1]) else { continue }
                if pair[0] == "rbytes" { read += value } else if pair[0] == "wbytes" { write += value }
            }
        }
        return (read, write)
    }

    /// The CFS period, in microseconds, that CPU quotas are written against.
    static let cpuPeriodMicroseconds = 100_000

    /// The quota for `cores` per period (at least 1 ms, the kernel's minimum).
    static func cpuQuotaMicroseconds(cores: Double) -> Int {
        max(1_000, Int((cores * Double(cpuPeriodMicroseconds)).rounded()))
    }

    /// v2 `cpu.max`: `quota period`.
    static func v2CPUMax(cores: Double) -> String { "\(cpuQuotaMicroseconds(cores: cores)) \(cpuPeriodMicroseconds)" }
}
