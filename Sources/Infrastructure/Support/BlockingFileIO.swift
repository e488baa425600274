import Foundation

/// Blocking file work on a thread of its own, never on Swift's cooperative pool (whose
/// few threads run every task of the process) nor on an event loop.
enum BlockingFileIO {
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try work() }) }
            thread.name = "cloudtask-file-io"
            thread.start()
        }
    }
}

/// A file read in order, a piece at a time, each read on `BlockingFileIO`'s threads.
/// `@unchecked Sendable`: one task reads it at a time (each caller awaits its read before
/// the next), so the handle is never used by two threads at once.
final class SerialFileReader: @unchecked Sendable {
    private let handle: FileHandle

    init?(path: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        self.handle = handle
    }

    /// Up to `count` bytes; empty at the end.
    func read(upTo count: Int) async throws -> Data {
        try await BlockingFileIO.run { [handle] in try handle.read(upToCount: count) ?? Data() }
    }

    deinit { try? handle.close() }
}
