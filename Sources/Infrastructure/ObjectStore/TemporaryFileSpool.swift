import Foundation
import NIOPosix
public import Ports
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Spools uploads to files in a directory (the system's temporary one by default),
/// mode 0600, written on NIO's blocking-I/O thread pool: a write that waits for a slow
/// disk holds a pool thread, never an event loop or the cooperative pool.
public struct TemporaryFileSpool: UploadSpool {
    let directory: String

    public init(directory: String? = nil) {
        let directory = directory ?? NSTemporaryDirectory()
        self.directory = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    }

    public func create() async throws -> any SpooledUpload {
        let template = directory + "/cloudtask-upload-XXXXXX"
        return try await NIOThreadPool.singleton.runIfActive {
            var bytes = Array(template.utf8CString)
            let fd = bytes.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard fd >= 0 else { throw SpoolError(errno: errno) }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)  // not inherited by anything this process spawns
            return SpoolFile(fd: fd, path: String(cString: bytes))
        }
    }
}

struct SpoolError: Error, CustomStringConvertible {
    let errno: Int32
    var description: String { "spooling an upload failed: \(String(cString: strerror(errno)))" }
}

/// A spool file; its descriptor is -1 once closed, so that closing twice cannot close
/// a descriptor the process has since reused. Writes come from one caller at a time
/// (the protocol's contract), on the pool's threads.
final class SpoolFile: SpooledUpload {
    private let fd: Mutex<Int32>
    let path: String

    init(fd: Int32, path: String) {
        self.fd = Mutex(fd)
        self.path = path
    }

    func append(_ bytes: [UInt8]) async throws {
        let fd = self.fd.withLock { $0 }
        guard fd >= 0 else { throw SpoolError(errno: EBADF) }
        try await NIOThreadPool.singleton.runIfActive {
            try bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw SpoolError(errno: errno)
                    }
                    offset += written
                }
            }
        }
    }

    func finish() async {
        let fd = self.fd.withLock { fd in
            defer { fd = -1 }
            return fd
        }
        if fd >= 0 { close(fd) }
    }

    func discard() async {
        await finish()
        unlink(path)
    }
}
