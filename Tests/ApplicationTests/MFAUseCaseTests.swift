import Application
import Domain
import Foundation
import Infrastructure
import Ports
import Testing

@Suite("Use cases: two-factor login")
struct MFAUseCaseTests {
    static let here = AuditContext(clientAddress: "192.0.2.1", requestID: "mfa-1")

    /// An account with two-factor login on: its claims, its secret and its recovery codes.
    static func enrolled(_ harness: Harness, email: String = "ann@example.com") async throws
        -> (claims: AccessClaims, secret: TOTPSecret, recovery: [String])
    {
        let (_, claims) = try await harness.signUp(email)
        let enrolment = try await harness.enrolTOTP(caller: claims)
        #expect(enrolment.uri.hasPrefix("otpauth://totp/CloudTask%3A") && enrolment.qrSVG.hasPrefix("<svg"))
        let secret = try #require(try await harness.mfaStore.factor(of: claims.userID)?.secret)
        #expect(harness.codes.displayed(secret) == enrolment.secret)
        let recovery = try await harness.confirmTOTP(
            caller: claims, code: harness.codes.code(secret: secret, at: harness.clock.now()), context: here)
        return (claims, secret, recovery)
    }

    /// The password step: the mfa_token it answers with.
    static func passwordStep(_ harness: Harness, email: String = "ann@example.com") async throws -> String {
        do {
            _ = try await harness.login(email: email, password: "correct horse", context: here)
        } catch UseCaseError.mfaRequired(let token, let expiresIn) {
            #expect(token.hasPrefix("mfa_") && expiresIn == 300)
            return token
        }
        Issue.record("the password step should ask for the second factor")
        return ""
    }

    @Test("enrol, confirm with a first code: ten recovery codes, shown once; a wrong first code is a 400 naming code")
    func enrolment() async throws {
        let harness = Harness()
        let (_, claims) = try await harness.signUp("bob@example.com")
        _ = try await harness.enrolTOTP(caller: claims)
        await #expect(
            throws: UseCaseError.invalid(ValidationFailure(field: "code", "is not the current code of the authenticator"))
        ) {
            try await harness.confirmTOTP(caller: claims, code: "000000")
        }
        let secret = try #require(try await harness.mfaStore.factor(of: claims.userID)?.secret)
        let codes = try await harness.confirmTOTP(
            caller: claims, code: harness.codes.code(secret: secret, at: harness.clock.now()))
        #expect(codes.count == 10 && Set(codes).count == 10)
        await #expect(throws: UseCaseError.conflict("two-factor login is already on; disable it first")) {
            try await harness.enrolTOTP(caller: claims)
        }
        await #expect(throws: UseCaseError.self) { try await harness.confirmTOTP(caller: claims, code: "123456") }
        let status = try await GetMFAStatus(mfa: harness.mfa)(caller: claims)
        #expect(status.available && status.enabled && !status.pending && status.recoveryCodesLeft == 10)
    }

    @Test("login with MFA on: the password step yields only a challenge; a current code completes it once")
    func login() async throws {
        let harness = Harness()
        let (claims, secret, _) = try await Self.enrolled(harness)
        let token = try await Self.passwordStep(harness)
        // The code the enrolment used cannot be used again: wait for the next step.
        harness.clock.advance(30)
        let code = harness.codes.code(secret: secret, at: harness.clock.now())
        await #expect(throws: UseCaseError.unauthenticated) {
            try await harness.completeMFA(mfaToken: token, proof: .code("000000"), context: Self.here)
        }
        let issued = try await harness.completeMFA(mfaToken: token, proof: .code(code), context: Self.here)
        #expect(issued.user.id == claims.userID)
        #expect(try await harness.authenticate(issued.accessToken).claims.userID == claims.userID)
        // The challenge is spent, and the code too (a replay with a new challenge fails).
        await #expect(throws: UseCaseError.unauthenticated) {
            try await harness.completeMFA(mfaToken: token, proof: .code(code))
        }
        let again = try await Self.passwordStep(harness)
        await #expect(throws: UseCaseError.unauthenticated) {
            try await harness.completeMFA(mfaToken: again, proof: .code(code), context: Self.here)
        }
        let entries = try await harness.audit.entries(AuditQuery(involving: claims.userID, limit: 50)).map(\.record)
        #expect(
            entries.filter { $0.action == .mfaFailed }.compactMap { $0.details["reason"] } == ["code_already_used", "wrong_code"])
        let login = try #require(entries.first { $0.action == .loginSucceeded && $0.details["second_factor"] == "totp" })
        #expect(login.context == Self.here)
    }

    @Test("a recovery code completes a login once; the challenge takes a few attempts; tokens of another kind are refused")
    func recoveryAndAttempts() async throws {
        let harness = Harness()
        let (claims, _, recovery) = try await Self.enrolled(harness)
        let token = try await Self.passwordStep(harness)
        let issued = try await harness.completeMFA(mfaToken: token, proof: .recoveryCode(recovery[3].uppercased()))
        #expect(issued.user.id == claims.userID)
        let next = try await Self.passwordStep(harness)
        await #expect(throws: UseCaseError.unauthenticated) {
            try await harness.completeMFA(mfaToken: next, proof: .recoveryCode(recovery[3]))
        }
        #expect(try await harness.mfaStore.unusedRecoveryCodes(of: claims.userID) == 9)
        #expect(try await harness.audit.entries(AuditQuery(action: .recoveryCodeUsed, limit: 5)).count == 1)
        // Five attempts per challenge (one used above): the fifth wrong one closes it.
        for _ in 0..<4 {
            await #expect(throws: UseCaseError.unauthenticated) {
                try await harness.completeMFA(mfaToken: next, proof: .code("111111"))
            }
        }
        await #expect(throws: UseCaseError.unauthenticated) {
            try await harness.completeMFA(mfaToken: next, proof: .recoveryCode(recovery[0]))
        }
        #expect(try await harness.mfaStore.unusedRecoveryCodes(of: claims.userID) == 9)
        // A refresh token, or anything else, is not a challenge.
        for fake in [issued.refreshToken, "mfa_", "", String(repeating: "a", count: 5000)] {
            await #expect(throws: UseCaseError.unauthenticated) {
                try await harness.completeMFA(mfaToken: fake, proof: .code("123456"))
            }
        }
    }

    @Test("code attempts are limited per account, across challenges")
    func perAccountLimit() async throws {
        let harness = Harness()
        _ = try await Self.enrolled(harness)
        var refused: Int?
        for attempt in 1...12 {
            let token = try await Self.passwordStep(harness)
            do {
                _ = try await harness.completeMFA(mfaToken: token, proof: .code("999999"))
            } catch UseCaseError.rateLimited(let retryAfter) {
                #expect(retryAfter > 0)
                refused = attempt
                break
            } catch UseCaseError.unauthenticated {}
        }
        // The confirmation counted as one: ten per fifteen minutes in all.
        #expect(refused == 10)
    }

    @Test("disabling takes the password and a current code, ends the other sessions, and is recorded")
    func disable() async throws {
        let harness = Harness()
        let (claims, secret, _) = try await Self.enrolled(harness)
        let token = try await Self.passwordStep(harness)
        harness.clock.advance(30)
        let other = try await harness.completeMFA(
            mfaToken: token, proof: .code(harness.codes.code(secret: secret, at: harness.clock.now())))
        harness.clock.advance(30)
        let code = harness.codes.code(secret: secret, at: harness.clock.now())
        await #expect(throws: UseCaseError.wrongCredentials("wrong password or code")) {
            try await harness.disableTOTP(caller: claims, password: "wrong horse", code: code)
        }
        await #expect(throws: UseCaseError.wrongCredentials("wrong password or code")) {
            try await harness.disableTOTP(caller: claims, password: "correct horse", code: "000000")
        }
        try await harness.disableTOTP(caller: claims, password: "correct horse", code: code, context: Self.here)
        #expect(try await harness.mfaStore.factor(of: claims.userID) == nil)
        await #expect(throws: UseCaseError.self) { try await harness.authenticate(other.accessToken) }
        #expect(
            try await harness.authenticate(harness.login(email: "ann@example.com", password: "correct horse").accessToken)
                .claims.userID == claims.userID)
        let disabled = try #require(try await harness.audit.entries(AuditQuery(action: .mfaDisabled, limit: 1)).first)
        #expect(disabled.record.actorID == claims.userID && disabled.record.context == Self.here)
        await #expect(throws: UseCaseError.conflict("two-factor login is not on")) {
            try await harness.disableTOTP(caller: claims, password: "correct horse", code: code)
        }
    }

    @Test("without a key to seal secrets, enrolment is refused with a reason")
    func unavailable() async throws {
        let harness = Harness()
        let (_, claims) = try await harness.signUp()
        var settings = MFASettings(available: false)
        settings.issuer = "X"
        let mfa = MFAComponents(
            store: harness.mfaStore, codes: TOTPCodes(), recovery: RecoveryCodes(),
            challenges: HMACRefreshTokenMinter(pepper: SigningKey(secret: String(repeating: "m", count: 32))!, prefix: "mfa_"),
            qr: QREncodeSVG(), limiter: InMemoryRateLimiter(), audit: harness.audit, clock: harness.clock, settings: settings)
        await #expect(
            throws: UseCaseError.unprocessable("two-factor login is not configured on this server (CLOUDTASK_MFA_KEY)")
        ) {
            try await EnrolTOTP(mfa: mfa, users: harness.users)(caller: claims)
        }
    }
}
