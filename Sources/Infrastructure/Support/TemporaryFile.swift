#if canImport(Glibc)
    import Glibc
#endif

/// A new file only this process knows the name of (`mkstemp`), not inherited by the
/// programs it starts: the one way the spools and the directory store make theirs.
enum TemporaryFile {
    /// `<directory>/<prefix>-XXXXXX`, open for writing; nil when it cannot be made.
    static func make(in directory: String, prefix: String) -> (fd: Int32, path: String)? {
        var template = Array((directory + "/" + prefix + "-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return nil }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return (fd, String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}
