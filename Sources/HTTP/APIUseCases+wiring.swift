public import Application
import Domain
public import Ports

extension APIUseCases {
    /// The adapters the API's use cases run on; a composition root picks them.
    public struct Adapters: Sendable {
        public var users: any UserRepository
        public var sessions: any SessionStore
        /// The audit trail the stores write into (the same one, for the hash chain).
        public var audit: any AuditTrail
        /// Two-factor login: its store, codes, challenge tokens and QR codes.
        public var mfa: MFAComponents
        /// The store every job write goes through (wrap it in `AnnouncingJobStore` for live views).
        public var jobs: any JobRepository & Outbox & JobStatistics
        public var denylist: any TokenDenylist
        /// Revocation and per-user limits in one check (over `denylist` and the limiter).
        public var accessGate: any AccessGate
        public var cache: any Cache
        public var stopSignal: any StopSignal
        public var hasher: any PasswordHasher
        public var issuer: any AccessTokenIssuer
        /// Verifies access tokens (memoize it: every request verifies one).
        public var verifier: any AccessTokenVerifier
        public var minter: any RefreshTokenMinter
        public var outboxSignal: any OutboxSignal
        public var clock: any WallClock
        public var ids: any IDGenerator
        /// Where this process's live views subscribe.
        public var hub: JobChangeHub
        public var workers: any WorkerRegistry
        /// Signs and checks the links in account mail.
        public var links: any LinkTokens
        /// Counts reset requests per address.
        public var rateLimiter: any RateLimiter
        /// Where artifacts are kept; nil: jobs may not declare any.
        public var objectStore: (any ObjectStore)?
        /// Where uploads wait on their way to the object store.
        public var uploadSpool: any UploadSpool

        public init(
            users: any UserRepository, sessions: any SessionStore, audit: any AuditTrail, mfa: MFAComponents,
            jobs: any JobRepository & Outbox & JobStatistics,
            denylist: any TokenDenylist, accessGate: any AccessGate, cache: any Cache, stopSignal: any StopSignal,
            hasher: any PasswordHasher, issuer: any AccessTokenIssuer, verifier: any AccessTokenVerifier,
            minter: any RefreshTokenMinter, outboxSignal: any OutboxSignal,
            clock: any WallClock, ids: any IDGenerator, hub: JobChangeHub, workers: any WorkerRegistry,
            links: any LinkTokens, rateLimiter: any RateLimiter, uploadSpool: any UploadSpool,
            objectStore: (any ObjectStore)? = nil
        ) {
            self.uploadSpool = uploadSpool
            self.objectStore = objectStore
            self.links = links
            self.rateLimiter = rateLimiter
            self.hub = hub
            self.workers = workers
            self.users = users
            self.sessions = sessions
            self.audit = audit
            self.mfa = mfa
            self.jobs = jobs
            self.denylist = denylist
            self.accessGate = accessGate
            self.cache = cache
            self.stopSignal = stopSignal
            self.hasher = hasher
            self.issuer = issuer
            self.verifier = verifier
            self.minter = minter
            self.outboxSignal = outboxSignal
            self.clock = clock
            self.ids = ids
        }
    }

    /// Every use case the API needs, with the given policies. The one wiring shared by
    /// every mode and by the HTTP tests.
    public init(auth: AuthSettings, jobs settings: JobSettings, adapters a: Adapters) {
        var jobSettings = settings
        jobSettings.artifactsAvailable = a.objectStore != nil
        let tokens = SessionTokens(
            sessions: a.sessions, issuer: a.issuer, minter: a.minter, clock: a.clock, ids: a.ids, settings: auth)
        self.init(
            register: RegisterUser(
                users: a.users, hasher: a.hasher, tokens: tokens, clock: a.clock, ids: a.ids,
                bootstrapAdmin: auth.bootstrapAdmin),
            login: Login(
                users: a.users, hasher: a.hasher, tokens: tokens, clock: a.clock, audit: a.audit, mfa: a.mfa,
                requireVerifiedEmail: auth.requireVerifiedEmail),
            refresh: RefreshSession(
                sessions: a.sessions, users: a.users, denylist: a.denylist, minter: a.minter, tokens: tokens,
                clock: a.clock, settings: auth),
            logout: Logout(sessions: a.sessions, denylist: a.denylist, minter: a.minter, clock: a.clock, settings: auth),
            changePassword: ChangePassword(
                users: a.users, sessions: a.sessions, denylist: a.denylist, hasher: a.hasher,
                clock: a.clock, settings: auth, audit: a.audit),
            authenticate: AuthenticateAccessToken(verifier: a.verifier, gate: a.accessGate, sessions: a.sessions, clock: a.clock),
            profile: GetProfile(users: a.users, cache: a.cache),
            createJob: CreateJob(
                jobs: a.jobs, outboxSignal: a.outboxSignal, clock: a.clock, ids: a.ids, settings: jobSettings,
                objects: a.objectStore),
            listJobs: ListJobs(jobs: a.jobs),
            getJob: GetJob(jobs: a.jobs, cache: a.cache),
            stopJob: StopJob(
                jobs: a.jobs, stopSignal: a.stopSignal, outboxSignal: a.outboxSignal, cache: a.cache, clock: a.clock,
                ids: a.ids, settings: jobSettings),
            jobOutput: GetJobOutput(jobs: a.jobs, cache: a.cache),
            followJob: FollowJob(jobs: a.jobs, hub: a.hub, clock: a.clock),
            watchJobs: WatchJobs(hub: a.hub, clock: a.clock),
            overview: GetOverview(statistics: a.jobs, outbox: a.jobs, workers: a.workers, clock: a.clock),
            auditEntries: ListAuditEntries(trail: a.audit),
            mfa: MFAUseCases(
                enrol: EnrolTOTP(mfa: a.mfa, users: a.users), confirm: ConfirmTOTP(mfa: a.mfa),
                complete: CompleteMFALogin(mfa: a.mfa, users: a.users, tokens: tokens),
                disable: DisableTOTP(
                    mfa: a.mfa, users: a.users, hasher: a.hasher, sessions: a.sessions, denylist: a.denylist,
                    settings: auth),
                status: GetMFAStatus(mfa: a.mfa)),
            accountMail: AccountMailUseCases(
                requestPasswordReset: RequestPasswordReset(
                    users: a.users, audit: a.audit, limiter: a.rateLimiter, perEmail: auth.passwordResetPerEmail,
                    clock: a.clock),
                resetPassword: ResetPassword(
                    users: a.users, sessions: a.sessions, denylist: a.denylist, hasher: a.hasher, links: a.links,
                    cache: a.cache, clock: a.clock, settings: auth),
                verifyEmail: VerifyEmail(users: a.users, links: a.links, cache: a.cache, clock: a.clock)),
            artifacts: JobArtifacts(
                jobs: a.jobs, cache: a.cache, store: a.objectStore, clock: a.clock, maxBytes: jobSettings.artifactMaxBytes,
                redirectSeconds: jobSettings.artifactRedirectSeconds),
            uploadFile: UploadFile(
                store: a.objectStore, spool: a.uploadSpool, ids: a.ids, maxBytes: jobSettings.artifactMaxBytes))
    }
}
