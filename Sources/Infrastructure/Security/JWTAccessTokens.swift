import Crypto
import Domain
public import Foundation
public import Ports

/// HS256 JWT access tokens, written and checked with swift-crypto's HMAC directly.
///
/// Why not jwt-kit: it verifies through an actor-held key collection, measured here at
/// about a third of plain Hummingbird throughput on the hottest path of the service;
/// and its algorithm agility is exactly what we must not have. Here the algorithm is
/// pinned (any header but `HS256` is refused, `none` included), the `kid` selects the
/// current or a previous key, and `iss`, `aud`, `typ` and `exp` are all required.
public struct JWTAccessTokens: AccessTokenIssuer, AccessTokenVerifier {
    let current: SigningKey
    let keysByID: [String: SigningKey]
    let issuer: String
    let audience: String

    public init(current: SigningKey, previous: [SigningKey] = [], issuer: String, audience: String) {
        self.current = current
        var keys: [String: SigningKey] = [:]
        for key in previous { keys[key.id] = key }
        keys[current.id] = current
        self.keysByID = keys
        self.issuer = issuer
        self.audience = audience
    }

    struct Header: Codable {
        let alg: String
        let typ: String?
        let kid: String?
    }

    struct Payload: Codable {
        let sub: String
        let role: String
        let sid: String
        let jti: String
        let iat: Int64
        let exp: Int64
        let iss: String
        let aud: Audience
        let typ: String
    }

    /// `aud` may be one string or an array of them (RFC 7519 §4.1.3).
    enum Audience: Codable {
        case one(String)
        case many([String])
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let one = try? container.decode(String.self) {
                self = .one(one)
            } else {
                self = .many(try container.decode([String].self))
            }
        }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .one(let value): try container.encode(value)
            case .many(let values): try container.encode(values)
            }
        }
        func contains(_ value: String) -> Bool {
            switch self {
            case .one(let one): one == value
            case .many(let many): many.contains(value)
            }
        }
    }

    public func issue(_ claims: AccessClaims) throws -> String {
        let header = Header(alg: "HS256", typ: "JWT", kid: current.id)
        let payload = Payload(
            sub: claims.userID.description, role: claims.role.rawValue, sid: claims.sessionID.description,
            jti: claims.tokenID.uuidString.lowercased(), iat: Int64(claims.issuedAt.timeIntervalSince1970),
            exp: Int64(claims.expiresAt.timeIntervalSince1970), iss: issuer, aud: .one(audience), typ: "access")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let signingInput = Base64URL.encode(try encoder.encode(header)) + "." + Base64URL.encode(try encoder.encode(payload))
        let signature = HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: current.key)
        return signingInput + "." + Base64URL.encode(signature)
    }

    public func verify(_ token: String, now: Date) throws(TokenRejection) -> AccessClaims {
        guard token.utf8.count <= 4096 else { throw .malformed }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Base64URL.decode(parts[0]), let payloadData = Base64URL.decode(parts[1]),
            let signature = Base64URL.decode(parts[2])
        else { throw .malformed }
        guard let header = try? JSONDecoder().decode(Header.self, from: headerData) else { throw .malformed }
        guard header.alg == "HS256" else { throw .wrongAlgorithm }
        guard let kid = header.kid, let key = keysByID[kid] else { throw .unknownKey }
        let signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: key.key) else {
            throw .badSignature
        }
        guard let payload = try? JSONDecoder().decode(Payload.self, from: payloadData) else { throw .malformed }
        guard payload.typ == "access" else { throw .wrongType }
        guard payload.iss == issuer else { throw .wrongIssuer }
        guard payload.aud.contains(audience) else { throw .wrongAudience }
        guard Double(payload.exp) > now.timeIntervalSince1970 else { throw .expired }
        guard let user = UUID(canonical: payload.sub), let session = UUID(canonical: payload.sid),
            let tokenID = UUID(canonical: payload.jti), let role = Role(rawValue: payload.role)
        else { throw .malformed }
        return AccessClaims(
            userID: UserID(user), role: role, sessionID: SessionID(session), tokenID: tokenID,
            issuedAt: Date(timeIntervalSince1970: Double(payload.iat)),
            expiresAt: Date(timeIntervalSince1970: Double(payload.exp)))
    }
}
