import CSpawn
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Empty network namespaces kept for reuse, one run in each at a time.
///
/// Making a network namespace and the kernel's asynchronous teardown of it were the
/// dearest part of a box (about 8 % of the machine in the B3 profile: `copy_net_ns`,
/// `setup_net`, `cleanup_net`). A run in a namespace of this pool finds what a new one
/// has: a loopback device that is down and nothing else. Nothing of an earlier run is
/// left in it: its sockets closed when its processes ended (the box's PID namespace ends
/// them all before the namespace comes back here), and changing a namespace's devices,
/// addresses, routes, firewall or sysctls needs CAP_NET_ADMIN over it, which a run (its
/// own uid, no capabilities, any user namespace it makes owning only namespaces it makes)
/// never has. The most recently returned namespace is lent first, so the pool stays as
/// large as the most runs at once, not as large as the uid range.
final class NetworkNamespacePool: Sendable {
    private let free = Mutex<[Int32]>([])

    /// A namespace for one run: a returned one, or a new one.
    func take() throws(SandboxError) -> Int32 {
        if let fd = free.withLock({ $0.popLast() }) { return fd }
        let made = ct_netns_create()
        guard made >= 0 else {
            throw SandboxError(description: "cannot make a network namespace: \(String(cString: strerror(-made)))")
        }
        return made
    }

    /// Back from a run whose processes have all ended.
    func give(_ fd: Int32) { free.withLock { $0.append(fd) } }

    /// How many namespaces the pool holds that no run is using (for tests).
    var idle: Int { free.withLock { $0.count } }

    deinit {
        for fd in free.withLock({ $0 }) { close(fd) }
    }
}
