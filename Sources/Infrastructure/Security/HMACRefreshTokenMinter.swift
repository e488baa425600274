import Crypto
public import Ports

/// Refresh tokens are 32 random bytes (base64url, prefixed `rt_`), stored only as an
/// HMAC-SHA256 under the refresh secret: a leaked database alone cannot produce a
/// usable token, and a token cannot be checked without the secret.
/// The same shape serves the challenge tokens of two-factor logins (prefix `mfa_`): the
/// prefix is part of what is hashed, so one kind never passes for the other.
public struct HMACRefreshTokenMinter: RefreshTokenMinter {
    let pepper: SigningKey
    let prefix: String
    static let encodedLength = 43  // 32 bytes, unpadded base64url

    public init(pepper: SigningKey, prefix: String = "rt_") {
        self.pepper = pepper
        self.prefix = prefix
    }

    public func mint() -> (token: String, hash: RefreshTokenHash) {
        let token = prefix + Base64URL.encode(secureRandomBytes(32))
        return (token, digest(token))
    }

    public func hash(_ token: String) -> RefreshTokenHash? {
        guard token.hasPrefix(prefix), token.utf8.count == prefix.utf8.count + Self.encodedLength,
            Base64URL.decode(token.dropFirst(prefix.count)) != nil
        else { return nil }
        return digest(token)
    }

    private func digest(_ token: String) -> RefreshTokenHash {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(token.utf8), using: pepper.key)
        return RefreshTokenHash(Array(mac).hex)
    }
}
