import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A file that takes one output stream's every byte, up to `limit`: the full log of a
/// run, kept in object storage when the stream passed the cap of what PostgreSQL keeps
/// (docs/artifacts.md). Written by the supervising thread only, read once it is done.
final class LogSpool: Sendable {
    let path: String
    private let fd: Int32
    private let limit: Int64
    private let written = Atomic<Int64>(0)
    private let broken = Atomic<Bool>(false)

    /// A new file in `directory` (the worker's own 0700 spool), or nil when none can be made.
    init?(directory: String, limit: Int64) {
        var template = Array((directory + "/log-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard made >= 0 else { return nil }
        _ = fcntl(made, F_SETFD, FD_CLOEXEC)
        fd = made
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.limit = limit
    }

    /// Bytes kept so far.
    var size: Int64 { written.load(ordering: .relaxed) }

    /// Appends what fits under the limit; past it the rest is dropped (the log is then the
    /// first `limit` bytes). A write error ends the spool the same way.
    func append(_ bytes: ArraySlice<UInt8>) {
        let current = written.load(ordering: .relaxed)
        let room = limit - current
        guard room > 0, !broken.load(ordering: .relaxed) else { return }
        let count = min(Int64(bytes.count), room)
        var done = 0
        bytes.withUnsafeBytes { raw in
            while done < Int(count) {
                let step = write(fd, raw.baseAddress! + done, Int(count) - done)
                if step < 0 && errno == EINTR { continue }
                guard step > 0 else { break }
                done += step
            }
        }
        written.store(current + Int64(done), ordering: .relaxed)
        if done < Int(count) { broken.store(true, ordering: .relaxed) }
    }

    /// Closes the file; `keep` false also removes it.
    func finish(keep: Bool) {
        close(fd)
        if !keep { unlink(path) }
    }
}
