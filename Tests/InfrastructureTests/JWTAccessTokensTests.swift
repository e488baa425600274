import Crypto
import Domain
import Foundation
import Infrastructure
import Ports
import Testing

@Suite("JWT access tokens")
struct JWTAccessTokensTests {
    let key = SigningKey(secret: String(repeating: "k", count: 32))!
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    var tokens: JWTAccessTokens { JWTAccessTokens(current: key, issuer: "cloudtask", audience: "cloudtask-api") }

    func claims(expiresIn: Double = 900) -> AccessClaims {
        AccessClaims(
            userID: UserID(UUID()), role: .user, sessionID: SessionID(UUID()), tokenID: UUID(),
            issuedAt: now, expiresAt: now.addingTimeInterval(expiresIn))
    }

    static func segment(_ json: String) -> String {
        Data(json.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Signs arbitrary header and payload JSON with `secret`, as an attacker with (or without) the key would.
    static func forge(header: String, payload: String, secret: String) -> String {
        let input = segment(header) + "." + segment(payload)
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return input + "."
            + Data(mac).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    func payload(typ: String = "access", iss: String = "cloudtask", aud: String = "\"cloudtask-api\"", exp: Int = 1_800_000_900)
        -> String
    {
        """
        {"sub":"\(UUID().uuidString.lowercased())","role":"user","sid":"\(UUID().uuidString.lowercased())",\
        "jti":"\(UUID().uuidString.lowercased())","iat":1800000000,"exp":\(exp),"iss":"\(iss)","aud":\(aud),"typ":"\(typ)"}
        """
    }

    var header: String { #"{"alg":"HS256","typ":"JWT","kid":"\#(key.id)"}"# }
    let secret = String(repeating: "k", count: 32)

    @Test("a token round-trips with every claim")
    func roundTrip() throws {
        let original = claims()
        let token = try tokens.issue(original)
        #expect(try tokens.verify(token, now: now) == original)
        let header = try #require(Data(base64Encoded: String(token.split(separator: ".")[0]) + "=="))
        #expect(String(decoding: header, as: UTF8.self).contains("\"kid\":\"\(key.id)\""))
    }

    @Test("the forged control token verifies, so the refusals below are meaningful")
    func control() throws {
        _ = try tokens.verify(Self.forge(header: header, payload: payload(), secret: secret), now: now)
    }

    @Test("refusals: expiry, type, issuer, audience, algorithm, key, signature, shape")
    func refusals() throws {
        #expect(throws: TokenRejection.expired) {
            try tokens.verify(try tokens.issue(claims()), now: now.addingTimeInterval(900))
        }
        #expect(throws: TokenRejection.wrongType) {
            try tokens.verify(Self.forge(header: header, payload: payload(typ: "refresh"), secret: secret), now: now)
        }
        #expect(throws: TokenRejection.wrongIssuer) {
            try tokens.verify(Self.forge(header: header, payload: payload(iss: "evil"), secret: secret), now: now)
        }
        #expect(throws: TokenRejection.wrongAudience) {
            try tokens.verify(Self.forge(header: header, payload: payload(aud: "[\"other\"]"), secret: secret), now: now)
        }
        #expect(throws: Never.self) {
            try tokens.verify(
                Self.forge(header: header, payload: payload(aud: "[\"other\",\"cloudtask-api\"]"), secret: secret), now: now)
        }
        let none = Self.segment(#"{"alg":"none","kid":"\#(key.id)"}"#) + "." + Self.segment(payload()) + "."
        #expect(throws: TokenRejection.self) { try tokens.verify(none, now: now) }
        #expect(throws: TokenRejection.wrongAlgorithm) {
            try tokens.verify(
                Self.forge(header: #"{"alg":"HS512","kid":"\#(key.id)"}"#, payload: payload(), secret: secret), now: now)
        }
        #expect(throws: TokenRejection.unknownKey) {
            try tokens.verify(Self.forge(header: #"{"alg":"HS256","kid":"nope"}"#, payload: payload(), secret: secret), now: now)
        }
        #expect(throws: TokenRejection.badSignature) {
            try tokens.verify(Self.forge(header: header, payload: payload(), secret: String(repeating: "x", count: 32)), now: now)
        }
        for garbage in ["", "a.b", "a.b.c.d", "!!.??.**", String(repeating: "a", count: 5000)] {
            #expect(throws: TokenRejection.self) { try tokens.verify(garbage, now: now) }
        }
    }

    @Test("rotation: tokens signed with a previous key stay valid; the kid picks the key")
    func rotation() throws {
        let old = SigningKey(secret: String(repeating: "o", count: 32))!
        let before = JWTAccessTokens(current: old, issuer: "cloudtask", audience: "cloudtask-api")
        let token = try before.issue(claims())
        let after = JWTAccessTokens(current: key, previous: [old], issuer: "cloudtask", audience: "cloudtask-api")
        _ = try after.verify(token, now: now)
        #expect(throws: TokenRejection.unknownKey) { try tokens.verify(token, now: now) }
    }

    @Test("signing keys must be at least 32 bytes")
    func keyLength() {
        #expect(SigningKey(secret: String(repeating: "k", count: 31)) == nil)
        #expect(SigningKey.random().id != SigningKey.random().id)
    }
}
