import Application
import Domain
import Foundation
import Infrastructure
import Ports
import Synchronization

/// A clock that moves only when told to.
final class TestClock: WallClock {
    private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    func now() -> Date { current.withLock { $0 } }
    func advance(_ seconds: Double) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// Always the same "random" draw.
struct FixedRandom: RandomSource {
    let value: Double
    func unitInterval() -> Double { value }
}

/// Counts the hasher's work, to show that an unknown email costs a real verification.
final class RecordingHasher: PasswordHasher {
    let inner: BcryptPasswordHasher
    let calls = Mutex<[String]>([])
    init(cost: Int) { inner = BcryptPasswordHasher(cost: cost, threads: 2) }

    func hash(_ password: Password) async throws -> PasswordHash {
        calls.withLock { $0.append("hash") }
        return try await inner.hash(password)
    }
    func verify(_ password: String, against hash: PasswordHash) async throws -> Bool {
        calls.withLock { $0.append("verify") }
        return try await inner.verify(password, against: hash)
    }
    func verifyDecoy(_ password: String) async throws {
        calls.withLock { $0.append("decoy") }
        try await inner.verifyDecoy(password)
    }
    func needsRehash(_ hash: PasswordHash) -> Bool { inner.needsRehash(hash) }
    var recorded: [String] { calls.withLock { $0 } }
}

/// A denylist whose server is down.
struct UnavailableDenylist: TokenDenylist {
    func revoke(session: SessionID, until: Date) async throws { throw PortError.unavailable }
    func revoke(tokenID: UUID, until: Date) async throws { throw PortError.unavailable }
    func isRevoked(tokenID: UUID, session: SessionID) async throws -> Bool { throw PortError.unavailable }
}

/// Counts wake-ups of the relay.
final class CountingSignal: OutboxSignal {
    let count = Mutex(0)
    func outboxChanged() { count.withLock { $0 += 1 } }
    var wakeUps: Int { count.withLock { $0 } }
}

/// Every use case wired to in-memory adapters, a test clock and cost-4 bcrypt.
struct Harness {
    let clock = TestClock()
    let ids = RandomIDGenerator()
    let audit = InMemoryAuditTrail()
    let users: InMemoryUserRepository
    let sessions: InMemorySessionStore
    let jobs: InMemoryJobStore
    let mfaStore: InMemoryMFAStore
    let mfaLimiter = InMemoryRateLimiter()
    let codes = TOTPCodes()
    let denylist: any TokenDenylist
    let cache: InMemoryCache
    let stopSignal: InMemoryStopSignal
    let signal = CountingSignal()
    let hasher = RecordingHasher(cost: 4)
    let tokens: JWTAccessTokens
    let minter = HMACRefreshTokenMinter(pepper: SigningKey(secret: String(repeating: "r", count: 32))!)
    let auth: AuthSettings
    let jobSettings: JobSettings

    init(denylist: (any TokenDenylist)? = nil, bootstrapAdmin: String? = nil, maxUnfinished: Int = 1000, hasherCost: Int = 4) {
        users = InMemoryUserRepository(audit: audit)
        sessions = InMemorySessionStore(audit: audit)
        jobs = InMemoryJobStore(outputLimitBytes: 1024, clock: clock, audit: audit)
        mfaStore = InMemoryMFAStore(audit: audit)
        self.denylist = denylist ?? InMemoryTokenDenylist(clock: clock)
        cache = InMemoryCache(clock: clock)
        stopSignal = InMemoryStopSignal(clock: clock)
        tokens = JWTAccessTokens(
            current: SigningKey(secret: String(repeating: "a", count: 32))!, issuer: "cloudtask", audience: "cloudtask-api")
        auth = AuthSettings(
            accessTokenTTLSeconds: 900, refreshTokenTTLSeconds: 3600,
            bootstrapAdmin: BootstrapAdminRule(email: bootstrapAdmin.map { try! Email($0) }))
        jobSettings = JobSettings(maxUnfinishedJobs: maxUnfinished, backoff: Backoff(baseSeconds: 10, capSeconds: 100))
    }

    var sessionTokens: SessionTokens {
        SessionTokens(sessions: sessions, issuer: tokens, minter: minter, clock: clock, ids: ids, settings: auth)
    }
    var register: RegisterUser {
        RegisterUser(
            users: users, hasher: hasher, tokens: sessionTokens, clock: clock, ids: ids, bootstrapAdmin: auth.bootstrapAdmin)
    }
    var mfa: MFAComponents {
        MFAComponents(
            store: mfaStore, codes: codes, recovery: RecoveryCodes(),
            challenges: HMACRefreshTokenMinter(pepper: SigningKey(secret: String(repeating: "m", count: 32))!, prefix: "mfa_"),
            qr: QREncodeSVG(), limiter: mfaLimiter, audit: audit, clock: clock, settings: MFASettings(available: true))
    }
    var login: Login { Login(users: users, hasher: hasher, tokens: sessionTokens, clock: clock, audit: audit, mfa: mfa) }
    var enrolTOTP: EnrolTOTP { EnrolTOTP(mfa: mfa, users: users) }
    var confirmTOTP: ConfirmTOTP { ConfirmTOTP(mfa: mfa) }
    var completeMFA: CompleteMFALogin { CompleteMFALogin(mfa: mfa, users: users, tokens: sessionTokens) }
    var disableTOTP: DisableTOTP {
        DisableTOTP(mfa: mfa, users: users, hasher: hasher, sessions: sessions, denylist: denylist, settings: auth)
    }
    var refresh: RefreshSession {
        RefreshSession(
            sessions: sessions, users: users, denylist: denylist, minter: minter, tokens: sessionTokens, clock: clock,
            settings: auth)
    }
    var logout: Logout { Logout(sessions: sessions, denylist: denylist, minter: minter, clock: clock, settings: auth) }
    var changePassword: ChangePassword {
        ChangePassword(
            users: users, sessions: sessions, denylist: denylist, hasher: hasher, clock: clock, settings: auth, audit: audit)
    }
    var authenticate: AuthenticateAccessToken {
        AuthenticateAccessToken(
            verifier: tokens, gate: SequentialAccessGate(denylist: denylist, limiter: InMemoryRateLimiter()),
            sessions: sessions, clock: clock)
    }
    var profile: GetProfile { GetProfile(users: users, cache: cache) }
    var createJob: CreateJob { CreateJob(jobs: jobs, outboxSignal: signal, clock: clock, ids: ids, settings: jobSettings) }
    var listJobs: ListJobs { ListJobs(jobs: jobs) }
    var getJob: GetJob { GetJob(jobs: jobs, cache: cache) }
    var getOutput: GetJobOutput { GetJobOutput(jobs: jobs, cache: cache) }
    var stopJob: StopJob {
        StopJob(
            jobs: jobs, stopSignal: stopSignal, outboxSignal: signal, cache: cache, clock: clock, ids: ids, settings: jobSettings)
    }
    func recordEvents(jitter: Double = 0.5) -> RecordJobEvents {
        RecordJobEvents(
            jobs: jobs, cache: cache, outboxSignal: signal, clock: clock, ids: ids,
            random: FixedRandom(value: jitter), backoff: jobSettings.backoff, stopSignal: stopSignal)
    }
    var promote: PromoteDueJobs { PromoteDueJobs(jobs: jobs, cache: cache, outboxSignal: signal, clock: clock, ids: ids) }
    func purge(retentionDays: Int) -> PurgeExpired {
        PurgeExpired(
            jobs: jobs, sessions: sessions, outbox: jobs, audit: audit, mfa: mfaStore, clock: clock,
            retentionDays: retentionDays,
            auditRetentionDays: retentionDays * 10)
    }

    /// Registers an account and returns its tokens and verified claims.
    func signUp(_ email: String = "user\(UUID().uuidString.prefix(8))@example.com", password: String = "correct horse")
        async throws -> (IssuedTokens, AccessClaims)
    {
        let issued = try await register(email: email, password: password, username: nil)
        return (issued, try await authenticate(issued.accessToken).claims)
    }

    /// Claims for an account of the given role (set directly in the repository).
    func caller(role: Role) async throws -> AccessClaims {
        let (issued, _) = try await signUp()
        _ = try await users.setRole(
            role, forEmail: issued.user.email, at: clock.now(),
            audit: { .roleChange(from: $0, to: $1, by: nil, via: "test", context: .none) })
        let relogin = try await login(email: issued.user.email.value, password: "correct horse")
        return try await authenticate(relogin.accessToken).claims
    }
}
