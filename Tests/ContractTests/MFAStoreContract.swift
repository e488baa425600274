import Domain
import Foundation
import Infrastructure
import Ports
import Testing

@Suite("Contract: MFAStore")
struct MFAStoreContract {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func account(_ stores: MFAStores) async throws -> UserID {
        let user = User(
            id: UserID(UUID()), email: try Email("u\(UUID().uuidString.prefix(8))@example.com"), username: nil, role: .user,
            passwordHash: PasswordHash("$2b$04$x"), createdAt: t0, updatedAt: t0)
        return try await stores.users.insert(user, promoteIfNoAdmin: false) { .registration(of: $0, context: .none) }.id
    }

    static func record(_ action: AuditAction, _ user: UserID) -> AuditRecord {
        AuditRecord(at: t0, action: action, actor: user, account: user, context: .none)
    }

    static let codes = (0..<3).map { RecoveryCodeHash("code-\($0)") }

    @Test("enrolment is pending until confirmed, may start over, and is refused once confirmed", arguments: Adapters.mfaStores)
    func enrolment(adapter: Adapter<MFAStores>) async throws {
        try await adapter.run { stores in
            let ann = try await Self.account(stores)
            #expect(try await stores.store.factor(of: ann) == nil)
            try await stores.store.beginEnrolment(ann, secret: TOTPSecret([1, 2, 3]), at: Self.t0)
            try await stores.store.beginEnrolment(ann, secret: TOTPSecret([4, 5, 6]), at: Self.t0)
            let pending = try #require(try await stores.store.factor(of: ann))
            #expect(pending.secret == TOTPSecret([4, 5, 6]) && !pending.isConfirmed && pending.lastUsedStep == 0)
            // Nothing can be used before confirmation.
            #expect(try await stores.store.useStep(ann, step: 10) == false)
            try await stores.store.confirm(
                ann, step: 100, recoveryCodes: Self.codes, at: Self.t0, audit: Self.record(.mfaEnabled, ann))
            let confirmed = try #require(try await stores.store.factor(of: ann))
            #expect(confirmed.isConfirmed && confirmed.lastUsedStep == 100 && confirmed.secret == TOTPSecret([4, 5, 6]))
            await #expect(throws: PortError.duplicate) {
                try await stores.store.beginEnrolment(ann, secret: TOTPSecret([7]), at: Self.t0)
            }
            await #expect(throws: PortError.notFound) {
                try await stores.store.confirm(
                    ann, step: 101, recoveryCodes: [], at: Self.t0, audit: Self.record(.mfaEnabled, ann))
            }
            #expect(try await stores.store.unusedRecoveryCodes(of: ann) == 3)
            #expect(
                try await stores.trail.entries(AuditQuery(involving: ann, limit: 10)).map(\.record.action)
                    == [.mfaEnabled, .registered])
        }
    }

    @Test("a step is used once and never an earlier one; a recovery code once", arguments: Adapters.mfaStores)
    func singleUse(adapter: Adapter<MFAStores>) async throws {
        try await adapter.run { stores in
            let ann = try await Self.account(stores)
            try await stores.store.beginEnrolment(ann, secret: TOTPSecret([1]), at: Self.t0)
            try await stores.store.confirm(
                ann, step: 100, recoveryCodes: Self.codes, at: Self.t0, audit: Self.record(.mfaEnabled, ann))
            #expect(try await stores.store.useStep(ann, step: 100) == false)
            #expect(try await stores.store.useStep(ann, step: 101) == true)
            #expect(try await stores.store.useStep(ann, step: 101) == false)
            #expect(try await stores.store.useStep(ann, step: 99) == false)
            // Racing requests with the same code: one wins.
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 { group.addTask { try await stores.store.useStep(ann, step: 102) } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(wins == 1)
            let use = Self.record(.recoveryCodeUsed, ann)
            #expect(try await stores.store.useRecoveryCode(ann, Self.codes[1], at: Self.t0, audit: use) == true)
            #expect(try await stores.store.useRecoveryCode(ann, Self.codes[1], at: Self.t0, audit: use) == false)
            #expect(try await stores.store.useRecoveryCode(ann, RecoveryCodeHash("nope"), at: Self.t0, audit: use) == false)
            // Another account's code is not this one's.
            let bob = try await Self.account(stores)
            #expect(try await stores.store.useRecoveryCode(bob, Self.codes[0], at: Self.t0, audit: use) == false)
            #expect(try await stores.store.unusedRecoveryCodes(of: ann) == 2)
            #expect(try await stores.trail.entries(AuditQuery(action: .recoveryCodeUsed, limit: 10)).count == 1)
        }
    }

    @Test("removal takes the authenticator, the codes and the pending challenges", arguments: Adapters.mfaStores)
    func removal(adapter: Adapter<MFAStores>) async throws {
        try await adapter.run { stores in
            let ann = try await Self.account(stores)
            try await stores.store.beginEnrolment(ann, secret: TOTPSecret([1]), at: Self.t0)
            try await stores.store.confirm(
                ann, step: 1, recoveryCodes: Self.codes, at: Self.t0, audit: Self.record(.mfaEnabled, ann))
            let challenge = RefreshTokenHash(UUID().uuidString)
            try await stores.store.createChallenge(challenge, user: ann, expiresAt: Self.t0 + 300, maxAttempts: 5)
            try await stores.store.remove(ann, audit: Self.record(.mfaDisabled, ann))
            #expect(try await stores.store.factor(of: ann) == nil)
            #expect(try await stores.store.unusedRecoveryCodes(of: ann) == 0)
            #expect(try await stores.store.attemptChallenge(challenge, now: Self.t0) == .closed)
            try await stores.store.beginEnrolment(ann, secret: TOTPSecret([2]), at: Self.t0)
        }
    }

    @Test(
        "a challenge: a few attempts before it expires, spent once, then gone; purge takes the expired",
        arguments: Adapters.mfaStores)
    func challenges(adapter: Adapter<MFAStores>) async throws {
        try await adapter.run { stores in
            let ann = try await Self.account(stores)
            let token = RefreshTokenHash(UUID().uuidString)
            try await stores.store.createChallenge(token, user: ann, expiresAt: Self.t0 + 300, maxAttempts: 2)
            #expect(try await stores.store.attemptChallenge(token, now: Self.t0) == .open(ann))
            #expect(try await stores.store.attemptChallenge(token, now: Self.t0) == .open(ann))
            #expect(try await stores.store.attemptChallenge(token, now: Self.t0) == .closed)
            #expect(try await stores.store.spendChallenge(token) == true)
            #expect(try await stores.store.spendChallenge(token) == false)

            let late = RefreshTokenHash(UUID().uuidString)
            try await stores.store.createChallenge(late, user: ann, expiresAt: Self.t0 + 300, maxAttempts: 5)
            #expect(try await stores.store.attemptChallenge(late, now: Self.t0 + 300) == .closed)
            #expect(try await stores.store.attemptChallenge(RefreshTokenHash("unknown"), now: Self.t0) == .closed)
            #expect(try await stores.store.purge(before: Self.t0 + 301) == 1)
            #expect(try await stores.store.spendChallenge(late) == false)
        }
    }

    @Test(
        "at rest the secret is sealed, not stored; after a key rotation it still opens and is sealed again",
        arguments: Adapters.mfaStores)
    func sealedAtRest(adapter: Adapter<MFAStores>) async throws {
        try await adapter.run { stores in
            let ann = try await Self.account(stores)
            let secret = TOTPSecret(Array("12345678901234567890".utf8))
            try await stores.store.beginEnrolment(ann, secret: secret, at: Self.t0)
            guard let sealed = try await stores.sealedSecret(ann), let rekeyed = stores.rekeyed() else { return }
            #expect(sealed.hasPrefix("v1.") && !sealed.contains("12345678901234567890"))
            #expect(!sealed.contains("GEZDGNBVGY3TQOJQ"))
            #expect(try await rekeyed.factor(of: ann)?.secret == secret)
            let resealed = try #require(try await stores.sealedSecret(ann))
            #expect(resealed != sealed && !resealed.hasPrefix(String(sealed.prefix(16))))
            // The original store's key is now "old" to nobody: it cannot open the new seal, and says
            // so as a service problem (503), not a crash.
            await #expect(throws: PortError.unavailable) { try await stores.store.factor(of: ann) }
        }
    }
}

@Suite("PostgreSQL: sealing every secret again after a key rotation")
struct MFAResealTests {
    @Test("reseal: what the old key sealed moves to the new one; a secret no key opens is counted, not lost")
    func resealAll() async throws {
        try await PostgresFixture.withSchema { client in
            let logger = PostgresFixture.logger
            let oldKey = String(repeating: "o", count: 32)
            let newKey = String(repeating: "n", count: 32)
            let users = PostgresUserRepository(client: client, logger: logger)
            let before = PostgresMFAStore(client: client, sealer: SecretSealer(secret: oldKey), logger: logger)
            var accounts: [UserID] = []
            for index in 0..<3 {
                let user = User(
                    id: UserID(UUID()), email: try Email("r\(index)@example.com"), username: nil, role: .user,
                    passwordHash: PasswordHash("$2b$04$x"), createdAt: MFAStoreContract.t0, updatedAt: MFAStoreContract.t0)
                accounts.append(
                    try await users.insert(user, promoteIfNoAdmin: false) { .registration(of: $0, context: .none) }.id)
                try await before.beginEnrolment(accounts[index], secret: TOTPSecret([UInt8(index)]), at: MFAStoreContract.t0)
            }
            // One secret sealed under a key nobody configured any more.
            let lost = PostgresMFAStore(
                client: client, sealer: SecretSealer(secret: String(repeating: "x", count: 32)), logger: logger)
            try await lost.beginEnrolment(accounts[2], secret: TOTPSecret([9]), at: MFAStoreContract.t0)

            let rotated = PostgresMFAStore(
                client: client, sealer: SecretSealer(secret: newKey, old: [oldKey]), logger: logger)
            let first = try await rotated.resealAll()
            #expect(first.resealed == 2 && first.unreadable == 1)
            #expect(try await rotated.resealAll().resealed == 0)
            // The old key can go now: the new key alone opens both.
            let newOnly = PostgresMFAStore(client: client, sealer: SecretSealer(secret: newKey), logger: logger)
            #expect(try await newOnly.factor(of: accounts[0])?.secret == TOTPSecret([0]))
            #expect(try await newOnly.factor(of: accounts[1])?.secret == TOTPSecret([1]))
        }
    }
}
