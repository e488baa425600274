import Crypto
import Foundation

/// Encrypts secrets at rest (the TOTP secrets) with AES-256-GCM under a key from the
/// configuration (`CLOUDTASK_MFA_KEY`). A sealed value names its key
/// (`v1.<key id>.<base64url of nonce ‖ ciphertext ‖ tag>`), so that after a rotation the
/// old keys (`CLOUDTASK_MFA_OLD_KEYS`) still open what they sealed, and the store seals
/// it again under the current key (docs/mfa.md, "Rotating the key").
public struct SecretSealer: Sendable {
    struct Key: Sendable {
        let id: String
        let key: SymmetricKey
    }

    let current: Key
    let previous: [Key]

    /// `secret` and each of `old` at least 32 bytes (configuration checks this); the AES
    /// key is SHA-256 of the text, so any string of enough entropy serves.
    public init?(secret: String, old: [String] = []) {
        guard let current = Self.key(secret) else { return nil }
        let previous = old.compactMap(Self.key)
        guard previous.count == old.count else { return nil }
        self.current = current
        self.previous = previous
    }

    /// A random key, for the embedded mode (its secrets die with the process anyway).
    public static func random() -> SecretSealer {
        SecretSealer(secret: Base64URL.encode(secureRandomBytes(48)))!
    }

    static func key(_ secret: String) -> Key? {
        let bytes = Array(secret.utf8)
        guard bytes.count >= 32 else { return nil }
        let key = SymmetricKey(data: SHA256.hash(data: Array("cloudtask-mfa-key:".utf8) + bytes))
        let id = Array(SHA256.hash(data: Array("cloudtask-mfa-kid:".utf8) + bytes).prefix(6)).hex
        return Key(id: id, key: key)
    }

    public var currentKeyID: String { current.id }

    public func seal(_ plaintext: [UInt8]) throws -> String {
        let box = try AES.GCM.seal(plaintext, using: current.key)
        guard let combined = box.combined else { throw SealError.unsealable }
        return "v1.\(current.id).\(Base64URL.encode(Array(combined)))"
    }

    /// The plaintext, and whether it was sealed under an old key (seal it again).
    public func open(_ sealed: String) throws -> (plaintext: [UInt8], stale: Bool) {
        let parts = sealed.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", let combined = Base64URL.decode(parts[2]) else {
            throw SealError.malformed
        }
        guard let key = ([current] + previous).first(where: { $0.id == parts[1] }) else {
            throw SealError.unknownKey(String(parts[1]))
        }
        let box = try AES.GCM.SealedBox(combined: combined)
        let plaintext = try AES.GCM.open(box, using: key.key)
        return (Array(plaintext), key.id != current.id)
    }

    public enum SealError: Error, Equatable, CustomStringConvertible {
        case malformed
        case unsealable
        /// Sealed under a key that is neither current nor listed as old.
        case unknownKey(String)

        public var description: String {
            switch self {
            case .malformed: "a sealed secret is not in the v1 format"
            case .unsealable: "AES-GCM produced no combined box"
            case .unknownKey(let id):
                "a secret is sealed under key \(id), which is neither CLOUDTASK_MFA_KEY nor one of CLOUDTASK_MFA_OLD_KEYS"
            }
        }
    }
}
