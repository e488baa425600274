import Domain
import Infrastructure
import Ports
import Testing

@Suite("bcrypt and refresh tokens")
struct SecurityAdapterTests {
    @Test("bcrypt hashes at the configured cost and verifies")
    func bcrypt() async throws {
        let hasher = BcryptPasswordHasher(cost: 4, threads: 1)
        let hash = try await hasher.hash(try Password("correct horse"))
        #expect(hash.encoded.hasPrefix("$2b$04$"))
        #expect(try await hasher.verify("correct horse", against: hash))
        #expect(try await hasher.verify("correct horsf", against: hash) == false)
        #expect(!hasher.needsRehash(hash))
        #expect(BcryptPasswordHasher(cost: 5, threads: 1).needsRehash(hash))
        #expect(hasher.needsRehash(PasswordHash("not a bcrypt hash")))
    }

    @Test("bcrypt's truncation at NUL and at 72 bytes cannot be used to log in")
    func truncation() async throws {
        let hasher = BcryptPasswordHasher(cost: 4, threads: 1)
        let long = String(repeating: "p", count: 72)
        let hash = try await hasher.hash(try Password(long))
        #expect(try await hasher.verify(long, against: hash))
        #expect(try await hasher.verify(long + "extra", against: hash) == false)
        let short = try await hasher.hash(try Password("password"))
        #expect(try await hasher.verify("password\u{0}suffix", against: short) == false)
    }

    @Test("the decoy never matches and costs a verification")
    func decoy() async throws {
        let hasher = BcryptPasswordHasher(cost: 4, threads: 1)
        try await hasher.verifyDecoy("decoy-password-never-matches")
        try await hasher.verifyDecoy("anything")
    }

    @Test("refresh tokens: random, hashed with the pepper, malformed ones refused")
    func refreshTokens() {
        let minter = HMACRefreshTokenMinter(pepper: SigningKey(secret: String(repeating: "p", count: 32))!)
        let (token, hash) = minter.mint()
        #expect(token.hasPrefix("rt_") && token.count == 46)
        #expect(minter.hash(token) == hash)
        #expect(minter.mint().token != token)
        let otherPepper = HMACRefreshTokenMinter(pepper: SigningKey(secret: String(repeating: "q", count: 32))!)
        #expect(otherPepper.hash(token) != hash)
        for bad in ["", "rt_", "rt_short", "xx_" + token.dropFirst(3), token + "x", "rt_" + String(repeating: "!", count: 43)] {
            #expect(minter.hash(String(bad)) == nil)
        }
    }
}
