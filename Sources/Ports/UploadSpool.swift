/// Local files that take an upload's bytes as they arrive, so that no process holds a
/// whole upload in memory before it goes on to object storage.
public protocol UploadSpool: Sendable {
    /// A new, empty file of its own, readable by this process alone.
    func create() async throws -> any SpooledUpload
}

/// One spooled upload. One writer appends at a time; `finish` closes it and keeps the
/// file at `path`, `discard` closes it (if open) and removes it.
public protocol SpooledUpload: Sendable {
    var path: String { get }
    func append(_ bytes: [UInt8]) async throws
    func finish() async
    func discard() async
}
