import Crypto
public import Ports

/// Recovery codes: sixteen characters of base32 (80 bits) shown as `xxxx-xxxx-xxxx-xxxx`,
/// stored as SHA-256. At 80 bits a copy of the database cannot be searched for them, so
/// no server secret is needed (and rotating one never voids them); guessing online is
/// bounded by the per-account attempt limit.
public struct RecoveryCodes: RecoveryCodeMinter {
    static let length = 16
    static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    public init() {}

    public func mint(count: Int) -> [(code: String, hash: RecoveryCodeHash)] {
        (0..<count).map { _ in
            let characters = secureRandomBytes(Self.length).map { Self.alphabet[Int($0 & 31)] }
            let groups = stride(from: 0, to: Self.length, by: 4).map {
                String(decoding: characters[$0..<$0 + 4], as: UTF8.self)
            }
            return (groups.joined(separator: "-"), digest(characters))
        }
    }

    public func hash(_ code: String) -> RecoveryCodeHash? {
        guard code.utf8.count <= 64 else { return nil }
        let characters = code.lowercased().utf8.filter { $0 != 0x2D && $0 != 0x20 }
        guard characters.count == Self.length, characters.allSatisfy({ Self.alphabet.contains($0) }) else { return nil }
        return digest(Array(characters))
    }

    private func digest(_ characters: [UInt8]) -> RecoveryCodeHash {
        RecoveryCodeHash(Array(SHA256.hash(data: Array("cloudtask-recovery:".utf8) + characters)).hex)
    }
}
