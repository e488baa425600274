public import Application
public import CoreMetrics
import Domain
import Foundation
import HTTPTypes
public import Hummingbird
public import Ports
import Telemetry

/// Wires routes to use cases. Composition roots and tests both call this; it chooses
/// no adapter itself.
///
/// The middleware order gives docs/api.md's precedence of errors: authentication (401),
/// then rate limits (429, per user, counted in the authentication's gate check), then the body limit (413), then the handler's own checks
/// (415, 400, 403, 404, 409, 422). On the public `/auth/*` routes the per-IP limit
/// comes first.
public func buildRouter(
    useCases: APIUseCases, settings: HTTPSettings, rateLimiter: any RateLimiter, clock: any WallClock,
    health: HealthChecks, metricsFactory: any MetricsFactory, exportMetrics: @escaping @Sendable () -> String
) -> Router<APIContext> {
    let router = Router(context: APIContext.self)
    if Telemetry.isOn { router.add(middleware: RequestSpanMiddleware()) }
    router.add(middleware: EnvelopeMiddleware(trustedProxies: settings.trustedProxies))
    router.add(middleware: HTTPMetricsMiddleware(factory: metricsFactory))
    router.add(middleware: MethodNotAllowedMiddleware(table: RouteTable(servedRoutes)))

    let operations = OperationsController(health: health, metricsToken: settings.metricsToken, exportMetrics: exportMetrics)
    let ops = router.group().add(middleware: BodyLimitMiddleware(limit: settings.maxBodyBytes))
    ops.get("/health/live", use: operations.live)
    ops.get("/health/ready", use: operations.ready)
    ops.get("/metrics", use: operations.metrics)
    ops.get("/openapi.json", use: operations.openAPI)
    let dashboard = DashboardController(traceUIURL: settings.traceUIURL)
    ops.get("/dashboard", use: dashboard.page)
    ops.get("/dashboard/app.js", use: dashboard.script)
    ops.get("/dashboard/account.js", use: dashboard.accountScript)
    ops.get("/dashboard/style.css", use: dashboard.styles)

    let limits = settings.rateLimits
    var auth = AuthController(useCases: useCases)
    if let perEmail = limits.loginPerEmail {
        auth.countLoginAttempt = { email, context in
            // The key is the address as an account would store it: case and spaces do not make a new one.
            let key = String(email.trimmingCharacters(in: .whitespaces).lowercased().utf8.prefix(320)) ?? ""
            try RateLimitHeaders.apply([try await rateLimiter.check(perEmail, key: key, now: clock.now())], to: context)
        }
    }
    let perIP: @Sendable (RateLimitPolicy?) -> RateLimitMiddleware = { policy in
        RateLimitMiddleware(limiter: rateLimiter, clock: clock) { _, context in
            // IPv6 clients count by their /64: one host holds a whole /64 and can rotate through it.
            policy.map { [RateLimitCheck(policy: $0, key: IPAddressBytes.rateLimitKey(context.clientAddress))] } ?? []
        }
    }
    router.group("/api/v1/auth/login").add(middleware: perIP(limits.login))
        .add(middleware: BodyLimitMiddleware(limit: settings.maxBodyBytes))
        .post(use: auth.login)
    router.group("/api/v1/auth/register").add(middleware: perIP(limits.auth))
        .add(middleware: BodyLimitMiddleware(limit: settings.maxBodyBytes))
        .post(use: auth.register)
    let mfa = MFAController(useCases: useCases)
    // The second step of a login: the per-address limit of the other auth routes (its
    // codes are also limited per challenge and per account); not the login limit, which
    // the password step has already counted.
    router.group("/api/v1/auth/mfa").add(middleware: perIP(limits.auth))
        .add(middleware: BodyLimitMiddleware(limit: settings.maxBodyBytes))
        .post(use: mfa.complete)
    // What the links in mail lead to: the per-address limit of the auth routes (a reset
    // request is also limited per address asked for, silently).
    let accountMail = AccountMailController(useCases: useCases)
    router.group("/api/v1/auth/password-reset").add(middleware: perIP(limits.auth))
        .add(middleware: BodyLimitMiddleware(limit: settings.maxBodyBytes))
        .post(use: accountMail.requestPasswordReset)
    router.group("/api/v1/auth/password-reset/confirm").add(middleware: perIP(limits.auth))
        .add(middleware: BodyLimitMiddleware(limit: settings.maxBodyBytes))
        .post(use: accountMail.resetPassword)
    router.group("/api/v1/auth/verify-email").add(middleware: perIP(limits.auth))
        .add(middleware: BodyLimitMiddleware(limit: settings.maxBodyBytes))
        .post(use: accountMail.verifyEmail)
    router.group("/api/v1/auth/refresh").add(middleware: perIP(limits.auth))
        .add(middleware: BodyLimitMiddleware(limit: settings.maxBodyBytes))
        .post(use: auth.refresh)

    let perUser: @Sendable (Request, AccessClaims) -> [RateLimitCheck] = { request, caller in
        var applicable: [RateLimitCheck] = []
        if let api = limits.api { applicable.append(RateLimitCheck(policy: api, key: caller.userID.description)) }
        if request.method == .post, request.uri.path == "/api/v1/jobs", let create = limits.jobsCreate {
            applicable.append(RateLimitCheck(policy: create, key: caller.userID.description))
        }
        // Each upload may keep up to the artifact cap in object storage for weeks.
        if request.method == .post, request.uri.path == "/api/v1/files", let uploads = limits.uploads {
            applicable.append(RateLimitCheck(policy: uploads, key: caller.userID.description))
        }
        // Each change verifies the current password with bcrypt: a quarter second of CPU.
        if request.method == .post, request.uri.path == "/api/v1/users/me/password", let change = limits.passwordChange {
            applicable.append(RateLimitCheck(policy: change, key: caller.userID.description))
        }
        return applicable
    }
    // GET /api/v1/jobs/{id} reads the job's cache entry: it is fetched along with the
    // access gate's question, in the same Redis round trip.
    let readAhead: @Sendable (Request) -> CacheKey? = { request in
        guard request.method == .get else { return nil }
        let path = request.uri.path
        let prefix = "/api/v1/jobs/"
        guard path.hasPrefix(prefix), let uuid = UUID(canonical: String(path.dropFirst(prefix.count))) else { return nil }
        return GetJob.cacheKey(for: JobID(uuid))
    }
    let protected = router.group("/api/v1")
        .add(middleware: AuthenticationMiddleware(authenticate: useCases.authenticate, limits: perUser, readAhead: readAhead))
        .add(middleware: BodyLimitMiddleware(limit: settings.maxBodyBytes))
    protected.post("/auth/logout", use: auth.logout)
    protected.get("/users/me", use: auth.profile)
    protected.post("/users/me/password", use: auth.changePassword)
    protected.get("/users/me/mfa", use: mfa.status)
    protected.post("/users/me/mfa/totp", use: mfa.enrol)
    protected.post("/users/me/mfa/totp/confirm", use: mfa.confirm)
    protected.delete("/users/me/mfa/totp", use: mfa.disable)

    let live = LiveController(useCases: useCases, streams: LiveStreamCounter(limits: settings.liveStreams))
    let jobs = JobController(useCases: useCases, live: live)
    protected.post("/jobs", use: jobs.create)
    protected.get("/jobs", use: jobs.list)
    protected.get("/jobs/:id", use: jobs.get)
    protected.post("/jobs/:id/stop", use: jobs.stop)
    protected.get("/jobs/:id/output", use: jobs.output)
    let artifacts = ArtifactController(useCases: useCases)
    protected.get("/jobs/:id/artifacts", use: artifacts.list)
    protected.get("/jobs/:id/artifacts/**", use: artifacts.download)
    protected.get("/jobs/:id/log", use: artifacts.log)
    // Uploads have a cap of their own, far above the JSON body limit, and stream: the
    // body-limit middleware (which collects a body in memory) is not on this route.
    router.group("/api/v1/files")
        .add(middleware: AuthenticationMiddleware(authenticate: useCases.authenticate, limits: perUser, readAhead: { _ in nil }))
        .post(use: FileController(useCases: useCases).upload)

    protected.get("/jobs/:id/events", use: live.jobEvents)
    protected.get("/events", use: live.watch)
    protected.get("/admin/overview", use: AdminController(useCases: useCases).overview)
    let audit = AuditController(useCases: useCases)
    protected.get("/admin/audit", use: audit.everyone)
    protected.get("/users/me/audit", use: audit.mine)
    return router
}

/// Every route registered above, for `405` answers. `HTTPTests` checks that each one
/// answers something other than 404/405, so this list cannot drift from the router.
public let servedRoutes: [(HTTPRequest.Method, String)] = [
    (.get, "/health/live"), (.get, "/health/ready"), (.get, "/metrics"), (.get, "/openapi.json"),
    (.post, "/api/v1/auth/login"), (.post, "/api/v1/auth/register"), (.post, "/api/v1/auth/refresh"),
    (.post, "/api/v1/auth/logout"), (.get, "/api/v1/users/me"), (.post, "/api/v1/users/me/password"),
    (.post, "/api/v1/auth/mfa"), (.post, "/api/v1/auth/password-reset"), (.post, "/api/v1/auth/password-reset/confirm"),
    (.post, "/api/v1/auth/verify-email"), (.get, "/api/v1/users/me/mfa"), (.post, "/api/v1/users/me/mfa/totp"),
    (.post, "/api/v1/users/me/mfa/totp/confirm"), (.delete, "/api/v1/users/me/mfa/totp"),
    (.post, "/api/v1/jobs"), (.get, "/api/v1/jobs"), (.get, "/api/v1/jobs/:id"), (.post, "/api/v1/jobs/:id/stop"),
    (.get, "/api/v1/jobs/:id/output"), (.get, "/api/v1/jobs/:id/events"), (.get, "/api/v1/events"),
    (.get, "/api/v1/jobs/:id/artifacts"), (.get, "/api/v1/jobs/:id/artifacts/:name"), (.get, "/api/v1/jobs/:id/log"),
    (.post, "/api/v1/files"),
    (.get, "/api/v1/admin/overview"), (.get, "/api/v1/admin/audit"), (.get, "/api/v1/users/me/audit"),
    (.get, "/dashboard"), (.get, "/dashboard/app.js"), (.get, "/dashboard/account.js"),
    (.get, "/dashboard/style.css"),
]
