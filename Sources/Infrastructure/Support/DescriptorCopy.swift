#if canImport(Glibc)
    import Glibc
#endif

/// Copies one open file into another with plain `read` and `write` (blocking: call it
/// on a thread of its own), stopping past a byte limit.
enum DescriptorCopy {
    enum Failure: Error, Equatable {
        /// The source could not be read.
        case unreadable
        /// The source holds more than the limit (by now: it may still be growing).
        case tooLarge
        /// The target could not take the bytes (its disk is full, most likely).
        case noRoom
    }

    /// The bytes copied, up to the end of `source`.
    static func copy(from source: Int32, to target: Int32, limit: Int64) -> Result<Int64, Failure> {
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        var total: Int64 = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { return .failure(.unreadable) }
            if count == 0 { return .success(total) }
            total += Int64(count)
            if total > limit { return .failure(.tooLarge) }
            var written = 0
            while written < count {
                let step = buffer.withUnsafeBytes { write(target, $0.baseAddress! + written, count - written) }
                if step < 0 && errno == EINTR { continue }
                guard step > 0 else { return .failure(.noRoom) }
                written += step
            }
        }
    }
}
