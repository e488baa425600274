import Application
import Domain
import Foundation
import Infrastructure
import Ports
import Testing

@Suite("Use cases: accounts and sessions")
struct AuthUseCaseTests {
    @Test("register validates every field and reports all problems at once")
    func registerValidation() async throws {
        let harness = Harness()
        await #expect(
            throws: UseCaseError.invalid(
                ValidationFailure([
                    FieldIssue(field: "email", message: "must be a valid email address"),
                    FieldIssue(field: "password", message: "must be 8 to 72 bytes"),
                    FieldIssue(field: "username", message: "must be 3 to 32 characters of A-Z, a-z, 0-9, '_', '.', '-'"),
                ]))
        ) {
            try await harness.register(email: "nope", password: "short", username: "x")
        }
    }

    @Test("register stores a normalised email and logs in; a taken email is a conflict")
    func register() async throws {
        let harness = Harness()
        let issued = try await harness.register(email: " Ann@Example.com", password: "correct horse", username: "ann")
        #expect(issued.user.email.value == "ann@example.com" && issued.user.role == .user && issued.expiresIn == 900)
        #expect(issued.user.passwordHash.encoded.hasPrefix("$2b$04$"))
        let claims = try await harness.authenticate(issued.accessToken).claims
        #expect(claims.userID == issued.user.id)
        await #expect(throws: UseCaseError.conflict("email is already registered")) {
            try await harness.register(email: "ANN@example.com", password: "another one", username: nil)
        }
    }

    @Test("the bootstrap email becomes admin only while no admin exists")
    func bootstrapAdmin() async throws {
        let harness = Harness(bootstrapAdmin: "root@example.com")
        #expect(
            try await harness.register(email: "someone@example.com", password: "correct horse", username: nil).user.role == .user)
        #expect(
            try await harness.register(email: "root@example.com", password: "correct horse", username: nil).user.role == .admin)
    }

    @Test("login: wrong password and unknown email fail alike, after the same bcrypt work")
    func login() async throws {
        let harness = Harness()
        _ = try await harness.register(email: "bo@example.com", password: "correct horse", username: nil)
        let ok = try await harness.login(email: "BO@example.com", password: "correct horse")
        #expect(ok.user.email.value == "bo@example.com")
        let before = harness.hasher.recorded.count
        await #expect(throws: UseCaseError.unauthenticated) {
            try await harness.login(email: "bo@example.com", password: "wrong horse")
        }
        await #expect(throws: UseCaseError.unauthenticated) {
            try await harness.login(email: "ghost@example.com", password: "wrong horse")
        }
        await #expect(throws: UseCaseError.unauthenticated) { try await harness.login(email: "not an email", password: "x") }
        #expect(Array(harness.hasher.recorded[before...]) == ["verify", "decoy", "decoy"])
        // A NUL-extended or over-long password never matches.
        await #expect(throws: UseCaseError.unauthenticated) {
            try await harness.login(email: "bo@example.com", password: "correct horse\u{0}x")
        }
    }

    @Test("login upgrades a hash made with another cost")
    func rehash() async throws {
        let harness = Harness()
        let issued = try await harness.register(email: "old@example.com", password: "correct horse", username: nil)
        let cheap = try await BcryptPasswordHasher(cost: 5, threads: 1).hash(try Password("correct horse"))
        try await harness.users.updatePasswordHash(cheap, for: issued.user.id, at: harness.clock.now(), audit: nil)
        _ = try await harness.login(email: "old@example.com", password: "correct horse")
        let stored = try #require(try await harness.users.user(id: issued.user.id))
        #expect(stored.passwordHash.encoded.hasPrefix("$2b$04$"))
    }

    @Test("refresh rotates; the old refresh token then revokes the whole session")
    func refreshRotationAndReuse() async throws {
        let harness = Harness()
        let (issued, _) = try await harness.signUp()
        harness.clock.advance(60)
        let second = try await harness.refresh(refreshToken: issued.refreshToken)
        #expect(second.refreshToken != issued.refreshToken && second.accessToken != issued.accessToken)
        let claims = try await harness.authenticate(second.accessToken).claims
        // Same session: rotation keeps the family.
        #expect(claims.sessionID == (try await harness.authenticate(issued.accessToken)).claims.sessionID)

        await #expect(throws: UseCaseError.unauthenticated) { try await harness.refresh(refreshToken: issued.refreshToken) }
        // Reuse revoked the session: the new refresh token and every access token of it die.
        await #expect(throws: UseCaseError.unauthenticated) { try await harness.refresh(refreshToken: second.refreshToken) }
        await #expect(throws: UseCaseError.unauthenticated) { try await harness.authenticate(second.accessToken) }
        await #expect(throws: UseCaseError.unauthenticated) { try await harness.authenticate(issued.accessToken) }
        await #expect(throws: UseCaseError.unauthenticated) { try await harness.refresh(refreshToken: "rt_garbage") }
    }

    @Test("refresh tokens and access tokens expire")
    func expiry() async throws {
        let harness = Harness()
        let (issued, _) = try await harness.signUp()
        harness.clock.advance(901)
        await #expect(throws: UseCaseError.unauthenticated) { try await harness.authenticate(issued.accessToken) }
        let renewed = try await harness.refresh(refreshToken: issued.refreshToken)
        harness.clock.advance(3601)
        await #expect(throws: UseCaseError.unauthenticated) { try await harness.refresh(refreshToken: renewed.refreshToken) }
    }

    @Test("logout ends the session; with all, every session; another user's refresh token is left alone")
    func logout() async throws {
        let harness = Harness()
        let (first, firstClaims) = try await harness.signUp("lo@example.com")
        let second = try await harness.login(email: "lo@example.com", password: "correct horse")
        let third = try await harness.login(email: "lo@example.com", password: "correct horse")
        let (stranger, _) = try await harness.signUp()

        try await harness.logout(caller: firstClaims, refreshToken: stranger.refreshToken, all: false)
        await #expect(throws: UseCaseError.unauthenticated) { try await harness.authenticate(first.accessToken) }
        await #expect(throws: UseCaseError.unauthenticated) { try await harness.refresh(refreshToken: first.refreshToken) }
        _ = try await harness.authenticate(second.accessToken)
        _ = try await harness.refresh(refreshToken: stranger.refreshToken)

        let secondClaims = try await harness.authenticate(second.accessToken).claims
        try await harness.logout(caller: secondClaims, refreshToken: nil, all: true)
        await #expect(throws: UseCaseError.unauthenticated) { try await harness.authenticate(second.accessToken) }
        await #expect(throws: UseCaseError.unauthenticated) { try await harness.authenticate(third.accessToken) }
    }

    @Test("logout with the caller's own other refresh token ends that session too")
    func logoutOtherOwnSession() async throws {
        let harness = Harness()
        let (_, claims) = try await harness.signUp("two@example.com")
        let other = try await harness.login(email: "two@example.com", password: "correct horse")
        try await harness.logout(caller: claims, refreshToken: other.refreshToken, all: false)
        await #expect(throws: UseCaseError.unauthenticated) { try await harness.authenticate(other.accessToken) }
    }

    @Test("changing the password checks the current one and ends every other session")
    func changePassword() async throws {
        let harness = Harness()
        let (mine, claims) = try await harness.signUp("cp@example.com")
        let elsewhere = try await harness.login(email: "cp@example.com", password: "correct horse")
        await #expect(throws: UseCaseError.unauthenticated) {
            try await harness.changePassword(caller: claims, currentPassword: "wrong", newPassword: "brand new pass")
        }
        await #expect(throws: UseCaseError.invalid(ValidationFailure(field: "new_password", "must be 8 to 72 bytes"))) {
            try await harness.changePassword(caller: claims, currentPassword: "correct horse", newPassword: "short")
        }
        try await harness.changePassword(caller: claims, currentPassword: "correct horse", newPassword: "brand new pass")
        _ = try await harness.authenticate(mine.accessToken)
        await #expect(throws: UseCaseError.unauthenticated) { try await harness.authenticate(elsewhere.accessToken) }
        await #expect(throws: UseCaseError.unauthenticated) {
            try await harness.login(email: "cp@example.com", password: "correct horse")
        }
        _ = try await harness.login(email: "cp@example.com", password: "brand new pass")
    }

    @Test("with the denylist down, revocation is read from the session store: never fail open")
    func denylistFallback() async throws {
        let harness = Harness(denylist: UnavailableDenylist())
        let (issued, claims) = try await harness.signUp()
        #expect(claims.userID == issued.user.id)
        try await harness.logout(caller: claims, refreshToken: nil, all: false)
        await #expect(throws: UseCaseError.unauthenticated) { try await harness.authenticate(issued.accessToken) }
    }

    @Test("a forged or tampered token is refused")
    func tampered() async throws {
        let harness = Harness()
        let (issued, _) = try await harness.signUp()
        var parts = issued.accessToken.split(separator: ".").map(String.init)
        parts[2] = String(parts[2].reversed())
        await #expect(throws: UseCaseError.unauthenticated) { try await harness.authenticate(parts.joined(separator: ".")) }
        await #expect(throws: UseCaseError.unauthenticated) { try await harness.authenticate(issued.refreshToken) }
    }

    @Test("the profile is served from the cache after the first read")
    func profile() async throws {
        let harness = Harness()
        let (issued, claims) = try await harness.signUp()
        #expect(try await harness.profile(caller: claims) == UserProfile(issued.user))
        let cached = await harness.cache.get(UserProfile.self, key: CacheKey("user:\(issued.user.id)"))
        #expect(cached == UserProfile(issued.user))
    }
}
