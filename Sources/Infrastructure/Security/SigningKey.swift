import Crypto
import Foundation

/// A secret for HMAC signing, with the key id (`kid`) that names it in token headers.
/// The id is derived from the secret, so it needs no configuration of its own and
/// every API instance agrees on it; it reveals nothing usable about the secret.
public struct SigningKey: Sendable {
    let key: SymmetricKey
    public let id: String

    /// Secrets shorter than 32 bytes are refused (configuration validates this too).
    public init?(secret: String) {
        let bytes = Array(secret.utf8)
        guard bytes.count >= 32 else { return nil }
        key = SymmetricKey(data: bytes)
        let digest = SHA256.hash(data: Array("cloudtask-kid:".utf8) + bytes)
        id = Array(digest.prefix(8)).hex
    }

    /// A random key, for the embedded mode (tokens die with the process).
    public static func random() -> SigningKey {
        SigningKey(secret: Base64URL.encode(secureRandomBytes(48)))!
    }
}
