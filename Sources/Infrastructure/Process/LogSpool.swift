import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A file that takes one output stream's every byte, up to `limit`: the full log of a
/// run, kept in object storage when the stream passed the cap of what PostgreSQL keeps
/// (docs/artifacts.md). Written by the supervising thread, read once it is done. The file
/// is made at the first byte, so a run that prints nothing (most short jobs) costs none.
final class LogSpool: Sendable {
    private struct State {
        var fd: Int32 = -1
        var path: String?
        var written: Int64 = 0
        /// The file could not be made or written: nothing more is kept.
        var broken = false
    }

    private let directory: String
    private let limit: Int64
    private let state = Mutex(State())

    /// A spool in `directory` (the worker's own 0700 spool directory).
    init(directory: String, limit: Int64) {
        self.directory = directory
        self.limit = limit
    }

    /// The file, once a byte has been kept.
    var path: String? { state.withLock { $0.path } }

    /// Bytes kept so far.
    var size: Int64 { state.withLock { $0.written } }

    /// Appends what fits under the limit; past it the rest is dropped (the log is then the
    /// first `limit` bytes). A write error ends the spool the same way.
    func append(_ bytes: ArraySlice<UInt8>) {
        state.withLock { state in
            let count = min(Int64(bytes.count), limit - state.written)
            guard count > 0, !state.broken, Self.open(&state, in: directory) else { return }
            var done = 0
            bytes.withUnsafeBytes { raw in
                while done < Int(count) {
                    let step = write(state.fd, raw.baseAddress! + done, Int(count) - done)
                    if step < 0 && errno == EINTR { continue }
                    guard step > 0 else { break }
                    done += step
                }
            }
            state.written += Int64(done)
            if done < Int(count) { state.broken = true }
        }
    }

    /// Closes the file; `keep` false also removes it.
    func finish(keep: Bool) {
        state.withLock { state in
            if state.fd >= 0 { close(state.fd) }
            state.fd = -1
            if !keep, let path = state.path { unlink(path) }
        }
    }

    /// Makes the file at the first byte; false (and broken) when it cannot be made.
    private static func open(_ state: inout State, in directory: String) -> Bool {
        guard state.fd < 0 else { return true }
        guard let (fd, path) = TemporaryFile.make(in: directory, prefix: "log") else {
            state.broken = true
            return false
        }
        state.fd = fd
        state.path = path
        return true
    }
}
