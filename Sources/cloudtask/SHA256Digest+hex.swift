import Crypto
import Foundation

extension SHA256Digest {
    /// Lowercase hex, the form in which the API reports every SHA-256 (uploads,
    /// artifacts' `X-Checksum-SHA256`), so that the CLI's own can be compared with it.
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}
