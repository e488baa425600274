import Application
import Consumers
import Domain
import Foundation
import HTTP
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Infrastructure
import NIOCore
import Ports
import Prometheus

/// The API on in-memory adapters (cost-4 bcrypt), driven through Hummingbird's router
/// test client: everything but the socket.
struct TestAPI {
    var settings = HTTPSettings(rateLimits: TestAPI.generousLimits)
    var allowlist = CommandAllowlist.standard
    var health = HealthChecks.embedded
    let audit: InMemoryAuditTrail
    let users: InMemoryUserRepository
    let sessions: InMemorySessionStore
    let jobs: InMemoryJobStore
    let mfaStore: InMemoryMFAStore
    let mail: InMemoryMailQueue
    /// Signs the links in mail (the same key as the routes that check them).
    let links = HMACLinkTokens(secret: SigningKey(secret: String(repeating: "l", count: 32))!)
    var requireVerifiedEmail = false
    /// The limiter behind the routes and the two-factor attempt limit.
    let limiter = InMemoryRateLimiter()
    let registry = PrometheusCollectorRegistry()
    /// Live views hear of every change made through `announcingJobs`.
    let hub = JobChangeHub()
    let workers = InMemoryWorkerRegistry()
    var announcingJobs: AnnouncingJobStore { AnnouncingJobStore(jobs, publisher: hub) }
    var mfaSettings = MFASettings(available: true)
    /// Where artifacts are kept; nil: none configured.
    var objectStore: (any ObjectStore)?

    init() {
        let audit = InMemoryAuditTrail()
        self.audit = audit
        users = InMemoryUserRepository(audit: audit)
        sessions = InMemorySessionStore(audit: audit)
        let mail = InMemoryMailQueue()
        self.mail = mail
        jobs = InMemoryJobStore(outputLimitBytes: 4096, audit: audit, mail: mail)
        mfaStore = InMemoryMFAStore(audit: audit)
    }

    static var generousLimits: RateLimitPolicies {
        var limits = RateLimitPolicies()
        limits.login = RateLimitPolicy(name: "login", limit: 1000, windowSeconds: 900)
        limits.auth = RateLimitPolicy(name: "auth", limit: 1000, windowSeconds: 900)
        limits.loginPerEmail = RateLimitPolicy(name: "login_email", limit: 1000, windowSeconds: 900)
        limits.passwordChange = RateLimitPolicy(name: "password", limit: 1000, windowSeconds: 900)
        return limits
    }

    func router() -> Router<APIContext> {
        let clock = SystemClock()
        let ids = RandomIDGenerator()
        let denylist = InMemoryTokenDenylist()
        let cache = InMemoryCache()
        let tokens = JWTAccessTokens(
            current: SigningKey(secret: String(repeating: "a", count: 32))!, issuer: "cloudtask", audience: "cloudtask-api")
        let minter = HMACRefreshTokenMinter(pepper: SigningKey(secret: String(repeating: "r", count: 32))!)
        let auth = AuthSettings(
            accessTokenTTLSeconds: 900, refreshTokenTTLSeconds: 604_800,
            bootstrapAdmin: BootstrapAdminRule(email: try! Email("root@example.com")),
            requireVerifiedEmail: requireVerifiedEmail)
        let useCases = APIUseCases(
            auth: auth, jobs: JobSettings(allowlist: allowlist, maxUnfinishedJobs: 5),
            adapters: .init(
                users: users, sessions: sessions, audit: audit,
                mfa: MFAComponents(
                    store: mfaStore, codes: TOTPCodes(), recovery: RecoveryCodes(),
                    challenges: HMACRefreshTokenMinter(
                        pepper: SigningKey(secret: String(repeating: "m", count: 32))!, prefix: "mfa_"),
                    qr: QREncodeSVG(), limiter: limiter, audit: audit, clock: clock, settings: mfaSettings),
                jobs: announcingJobs, denylist: denylist,
                accessGate: SequentialAccessGate(denylist: denylist, limiter: limiter), cache: cache,
                stopSignal: InMemoryStopSignal(),
                hasher: BcryptPasswordHasher(cost: 4, threads: 2), issuer: tokens, verifier: MemoizedAccessTokenVerifier(tokens),
                minter: minter, outboxSignal: RelayDoorbell(),
                clock: clock, ids: ids, hub: hub, workers: workers, links: links, rateLimiter: limiter,
                uploadSpool: TemporaryFileSpool(), objectStore: objectStore))
        let registry = self.registry
        return buildRouter(
            useCases: useCases, settings: settings, rateLimiter: limiter, clock: clock, health: health,
            metricsFactory: PrometheusMetricsFactory(registry: registry),
            exportMetrics: {
                var buffer: [UInt8] = []
                registry.emit(into: &buffer)
                return String(decoding: buffer, as: UTF8.self)
            })
    }

    /// Plans and sends the mail queued so far through `transport`, as the mail service does.
    func deliverMail(through transport: any MailTransport, settings: MailSettings = MailSettings()) async throws
        -> [(kind: MailKind, outcome: MailAttemptOutcome)]
    {
        try await PlanAccountMail(queue: mail, audit: audit, settings: settings)()
        return try await SendQueuedMail(
            queue: mail, users: users, jobs: jobs, transport: transport,
            composer: MailComposer(links: links, settings: settings), settings: settings, clock: SystemClock(),
            random: SystemRandomSource())()
    }

    func run(_ test: @escaping @Sendable (APIClient) async throws -> Void) async throws {
        let app = Application(router: router())
        try await app.test(.router) { client in try await test(APIClient(client: client)) }
    }
}

/// Requests in the shape the tests need them.
struct APIClient: Sendable {
    let client: any TestClientProtocol

    @discardableResult
    func send(
        _ method: HTTPRequest.Method, _ path: String, json: String? = nil, token: String? = nil,
        headers: HTTPFields = [:], contentType: String? = "application/json"
    ) async throws -> TestResponse {
        var fields = headers
        if let token { fields[.authorization] = "Bearer \(token)" }
        if json != nil, let contentType, fields[.contentType] == nil { fields[.contentType] = contentType }
        return try await client.executeRequest(
            uri: path, method: method, headers: fields, body: json.map { ByteBuffer(string: $0) })
    }

    /// Registers an account and returns its token response.
    func register(
        _ email: String = "u\(UUID().uuidString.prefix(8).lowercased())@example.com", password: String = "correct horse"
    ) async throws -> TokenPair {
        let response = try await send(.post, "/api/v1/auth/register", json: #"{"email":"\#(email)","password":"\#(password)"}"#)
        guard response.status == .created else { throw UnexpectedStatus(response.status.code, response.text) }
        return TokenPair(response.object)
    }

    func createJob(_ json: String, token: String, headers: HTTPFields = [:]) async throws -> [String: Any] {
        let response = try await send(.post, "/api/v1/jobs", json: json, token: token, headers: headers)
        guard response.status == .created || response.status == .ok else {
            throw UnexpectedStatus(response.status.code, response.text)
        }
        return response.object
    }
}

struct UnexpectedStatus: Error, CustomStringConvertible {
    let code: Int
    let body: String
    init(_ code: Int, _ body: String) {
        self.code = code
        self.body = body
    }
    var description: String { "unexpected status \(code): \(body)" }
}

struct TokenPair {
    let access: String
    let refresh: String
    let userID: String
    init(_ object: [String: Any]) {
        access = object["access_token"] as? String ?? ""
        refresh = object["refresh_token"] as? String ?? ""
        userID = (object["user"] as? [String: Any])?["id"] as? String ?? ""
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }
    /// The problem's `type` slug, e.g. `validation-failed`.
    var problemSlug: String? {
        (object["type"] as? String)?.split(separator: "/").last.map(String.init)
    }
    var problemFields: [String] {
        ((object["errors"] as? [[String: Any]]) ?? []).compactMap { $0["field"] as? String }
    }
}

extension HTTPField.Name {
    static let xRequestID = Self("X-Request-ID")!
    static let idempotencyKey = Self("Idempotency-Key")!
    static let rateLimitRemaining = Self("RateLimit-Remaining")!
    static let rateLimitPolicy = Self("RateLimit-Policy")!
    static let rateLimit = Self("RateLimit")!
}
