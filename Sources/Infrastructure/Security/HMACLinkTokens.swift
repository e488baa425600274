import Crypto
import Domain
import Foundation
public import Ports

/// Link tokens for mail: `<claims>.<mac>`, both base64url. The claims are a version byte,
/// the purpose, the account id and the expiry (seconds, big-endian): 26 bytes. The MAC is
/// HMAC-SHA256 over the claims and the binding, under a key derived from the refresh
/// secret (HKDF, its own label), so a token is worthless anywhere else and nothing about it
/// needs storing. Comparison is constant-time.
public struct HMACLinkTokens: LinkTokens {
    let key: SymmetricKey
    static let version: UInt8 = 1

    public init(secret: SigningKey) {
        key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: secret.key, info: Array("cloudtask mail links v1".utf8), outputByteCount: 32)
    }

    public func make(_ claims: LinkClaims, binding: String) -> String {
        let payload = Self.payload(claims)
        return Base64URL.encode(payload) + "." + Base64URL.encode(mac(payload, binding))
    }

    public func claims(of token: String) -> LinkClaims? { Self.parse(token)?.claims }

    public func verify(_ token: String, binding: String) -> Bool {
        guard let (_, payload, mac) = Self.parse(token) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: payload + [0] + Array(binding.utf8), using: key)
    }

    /// The claims, the bytes they were read from and the MAC of a well-formed token.
    static func parse(_ token: String) -> (claims: LinkClaims, payload: [UInt8], mac: [UInt8])? {
        // Bounded before anything is decoded: the token comes from a client.
        guard token.utf8.count <= 128 else { return nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payload = Base64URL.decode(parts[0]).map(Array.init), payload.count == 26,
            payload[0] == Self.version, let purpose = LinkPurpose(rawValue: payload[1]),
            let mac = Base64URL.decode(parts[1]).map(Array.init), mac.count == 32
        else { return nil }
        let uuid = UUID(
            uuid: (
                payload[2], payload[3], payload[4], payload[5], payload[6], payload[7], payload[8], payload[9],
                payload[10], payload[11], payload[12], payload[13], payload[14], payload[15], payload[16], payload[17]
            ))
        let seconds = payload[18..<26].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard seconds < 1 << 40 else { return nil }
        let claims = LinkClaims(
            purpose: purpose, account: UserID(uuid), expiresAt: Date(timeIntervalSince1970: Double(seconds)))
        return (claims, payload, mac)
    }

    func mac(_ payload: [UInt8], _ binding: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: payload + [0] + Array(binding.utf8), using: key))
    }

    static func payload(_ claims: LinkClaims) -> [UInt8] {
        var bytes: [UInt8] = [version, claims.purpose.rawValue]
        withUnsafeBytes(of: claims.account.uuid.uuid) { bytes.append(contentsOf: $0) }
        let seconds = UInt64(max(0, claims.expiresAt.timeIntervalSince1970))
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: seconds >> UInt64(shift))) }
        return bytes
    }
}
