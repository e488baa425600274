import Foundation

#if canImport(Glibc)
    import CMalloc
#endif

/// glibc gives each thread that meets contention an allocation arena of its own (up to
/// eight per core), and each arena keeps freed memory for reuse: with NIO's, the
/// cooperative pool's and the C clients' threads, that was 7 MiB of peak resident memory
/// between the API and a worker in the benchmark (B5) for no measured gain in
/// throughput. Two arenas serve these processes; `MALLOC_ARENA_MAX`, when set, wins.
public enum MallocArenas {

    public static func limit(to count: Int32 = 2) {
        #if canImport(Glibc)
            guard ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil else { return }
            _ = mallopt(M_ARENA_MAX, count)
        #endif
    }
}
