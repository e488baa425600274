import Domain

#if canImport(Glibc)
    import Glibc
#endif

/// Why the box around a run could not be made.
struct SandboxError: Error, CustomStringConvertible {
    let description: String
}

/// The cgroups of one run, in whichever version the host has (CgroupV1, CgroupV2).
protocol RunCgroup: Sendable {
    /// The `cgroup.procs` files the run's init writes itself into.
    var procsFiles: [String] { get }
    func apply(_ limits: RunLimits) throws(SandboxError)
    /// The run's share of block I/O, where the controller has a weight (else nothing).
    func applyIOWeight(_ weight: Int)
    /// What the run used; read once it has ended.
    func usage() -> ResourceUsage
    /// Tasks the kernel's OOM killer ended in this cgroup.
    func memoryKills() -> Int
    /// Forks and clones refused at the tasks limit.
    func tasksRefused() -> Int
    /// Ends every task still in the cgroup (none may outlive its run).
    func killAll()
    /// Removes the cgroup (after `killAll`).
    func remove()
}

/// Makes a cgroup per run under this process's own cgroup (so the host's limits on the
/// worker still hold over its jobs), named `cloudtask-<name>`.
protocol CgroupDriver: Sendable {
    var version: Int { get }
    func makeRun(named name: String) throws(SandboxError) -> any RunCgroup
    /// Removes what runs of workers that are gone left behind (names that begin with
    /// `w<pid>-` of a process that no longer exists).
    func sweep()
}

/// Reading and writing the small files of cgroup file systems, with system calls only.
enum CgroupIO {
    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes += buffer[..<count]
                if bytes.count > 1 << 20 { break }
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func write(_ text: String, to path: String) throws(SandboxError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SandboxError(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let written = text.utf8CString.withUnsafeBufferPointer { Glibc.write(fd, $0.baseAddress, $0.count - 1) }
        guard written == text.utf8.count else {
            throw SandboxError(description: "cannot write \(text) to \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func makeDirectory(_ path: String) throws(SandboxError) {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw SandboxError(description: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Removes an empty cgroup, waiting briefly while the kernel lets go of its last tasks.
    static func removeDirectory(_ path: String) {
        for _ in 0..<50 {
            if rmdir(path) == 0 || errno == ENOENT { return }
            guard errno == EBUSY else { return }
            usleep(2_000)
        }
    }

    /// The pids listed in a `cgroup.procs`.
    static func pids(_ procsFile: String) -> [pid_t] {
        (read(procsFile) ?? "").split(separator: "\n").compactMap { pid_t($0) }
    }

    /// Sends SIGKILL to every task of the cgroup until it is empty (a fork between the
    /// read and the kill is caught on the next pass).
    static func killAll(procsFile: String) {
        for _ in 0..<50 {
            let pids = pids(procsFile)
            if pids.isEmpty { return }
            for pid in pids { kill(pid, SIGKILL) }
            usleep(2_000)
        }
    }

    /// Subdirectories named `cloudtask-w<pid>-…` whose worker process is gone.
    static func orphans(in directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var found: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard name.hasPrefix("cloudtask-w") else { continue }
            let digits = name.dropFirst("cloudtask-w".count).prefix(while: \.isNumber)
            guard let pid = pid_t(digits), kill(pid, 0) != 0, errno == ESRCH else { continue }
            found.append(directory + "/" + name)
        }
        return found
    }
}
