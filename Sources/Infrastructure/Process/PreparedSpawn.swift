import CSpawn
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The C strings and limits a spawn needs, made before fork (the child may not allocate).
final class PreparedSpawn: Sendable {
    let displayName: String
    private let path: String
    private let arguments: [String]
    private let environment: [String]
    private let directory: String
    private let identity: (uid: uid_t, gid: gid_t)?
    private let limits: ct_rlimits

    init(
        displayName: String, path: String, arguments: [String], environment: [String], directory: String,
        identity: (uid: uid_t, gid: gid_t)?, limits: ResourceLimits
    ) {
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
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        return path.withCString { cPath in
            directory.withCString { cDirectory in
                argv.withUnsafeBufferPointer { argvPointer in
                    envp.withUnsafeBufferPointer { envpPointer in
                        var request = ct_spawn_request(
                            path: cPath, argv: argvPointer.baseAddress, envp: envpPointer.baseAddress,
                            directory: cDirectory, change_user: identity == nil ? 0 : 1,
                            uid: identity?.uid ?? 0, gid: identity?.gid ?? 0, limits: limits)
                        return withUnsafePointer(to: &request) { body($0) }
                    }
                }
            }
        }
    }
}
