import CSpawn
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The box a spawn goes in (ct_sandbox): namespaces, the run's `cgroup.procs` files
/// (opened by the caller, closed by it after the spawn), and the paths covered inside.
struct SpawnBox: Sendable {
    /// cloudtask-box-init, which starts the program inside the box.
    let initPath: String
    let namespaces: Int32
    /// A kept network namespace to join (NetworkNamespacePool), or -1 for a new one.
    var networkFD: Int32 = -1
    let procsFDs: [Int32]
    let hiddenPaths: [String]
    let privatePaths: [String]
    let tmpBytes: Int
}

/// The C strings and limits a spawn needs, made before fork (the child may not allocate).
final class PreparedSpawn: Sendable {
    let displayName: String
    private let path: String
    private let arguments: [String]
    private let environment: [String]
    private let directory: String
    private let identity: (uid: uid_t, gid: gid_t)?
    private let limits: ct_rlimits
    let box: SpawnBox?

    init(
        displayName: String, path: String, arguments: [String], environment: [String], directory: String,
        identity: (uid: uid_t, gid: gid_t)?, limits: ResourceLimits, box: SpawnBox? = nil
    ) {
        self.box = box
        self.displayName = displayName
        self.path = path
        self.arguments = arguments
        self.environment = environment
        self.directory = directory
        self.identity = identity
        self.limits = ct_rlimits(
            cpu_seconds: limits.cpuSeconds, address_space_bytes: limits.addressSpaceBytes,
            processes: limits.processes, file_size_bytes: limits.fileSizeBytes, open_files: limits.openFiles)
    }

    /// Calls `body` with a `ct_spawn_request` whose pointers live for the call.
    func withRequest<R>(_ body: (UnsafePointer<ct_spawn_request>) -> R) -> R {
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        // The init's arguments (see Sources/cloudtask-box-init/main.c): the program's
        // identity, rlimits and directory, then its argv.
        let initArguments: [String] =
            box.map { box in
                [
                    box.initPath, "\(identity?.uid ?? 0)", "\(identity?.gid ?? 0)", identity == nil ? "0" : "1",
                    "\(limits.cpu_seconds)", "\(limits.address_space_bytes)", "\(limits.processes)",
                    "\(limits.file_size_bytes)", "\(limits.open_files)", directory, path,
                ] + arguments
            } ?? []
        let initArgv = initArguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        let hidden = (box?.hiddenPaths ?? []).map { UnsafePointer(strdup($0)) } + [nil]
        let privates = (box?.privatePaths ?? []).map { UnsafePointer(strdup($0)) } + [nil]
        let fds = box?.procsFDs ?? []
        defer {
            for pointer in argv + envp + initArgv { free(pointer) }
            for pointer in hidden + privates { free(UnsafeMutablePointer(mutating: pointer)) }
        }
        return path.withCString { cPath in
            directory.withCString { cDirectory in
                argv.withUnsafeBufferPointer { argvPointer in
                    envp.withUnsafeBufferPointer { envpPointer in
                        hidden.withUnsafeBufferPointer { hiddenPointer in
                            privates.withUnsafeBufferPointer { privatePointer in
                                fds.withUnsafeBufferPointer { fdPointer in
                                    initArgv.withUnsafeBufferPointer { initPointer in
                                        let sandbox = ct_sandbox(
                                            namespaces: box?.namespaces ?? 0, network_fd: box?.networkFD ?? -1,
                                            cgroup_procs_fds: fdPointer.baseAddress,
                                            cgroup_procs_count: Int32(fds.count), hidden_paths: hiddenPointer.baseAddress,
                                            private_paths: privatePointer.baseAddress, tmp_bytes: UInt64(box?.tmpBytes ?? 0),
                                            init_path: initPointer[0], init_argv: initPointer.baseAddress)
                                        var request = ct_spawn_request(
                                            path: cPath, argv: argvPointer.baseAddress, envp: envpPointer.baseAddress,
                                            directory: cDirectory, change_user: identity == nil ? 0 : 1,
                                            uid: identity?.uid ?? 0, gid: identity?.gid ?? 0, limits: limits, sandbox: sandbox)
                                        return withUnsafePointer(to: &request) { body($0) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
