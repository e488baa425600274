public import Application
public import Domain

/// Every setting of the service, typed and validated. Built by `ConfigurationLoader`
/// from the environment (and an optional file); tests build it directly.
public struct CloudTaskConfiguration: Sendable {
    public var httpHost = "127.0.0.1"
    public var httpPort = 8080
    public var databaseURL: String?
    public var redisURL: RedisURL?
    public var amqpURL: AMQPURL?
    /// CA bundle that `amqps://` server certificates are verified against.
    public var amqpCAFile = "/etc/ssl/certs/ca-certificates.crt"
    public var accessSecret: String?
    public var refreshSecret: String?
    public var previousAccessSecrets: [String] = []
    /// Seals TOTP secrets at rest (`CLOUDTASK_MFA_KEY`); without it two-factor enrolment
    /// is refused. Old keys still open what they sealed (`CLOUDTASK_MFA_OLD_KEYS`).
    public var mfaKey: String?
    public var mfaOldKeys: [String] = []
    /// The name authenticator apps show (`CLOUDTASK_MFA_ISSUER`).
    public var mfaIssuer = "CloudTask"
    public var jwtIssuer = "cloudtask"
    public var jwtAudience = "cloudtask-api"
    public var bootstrapAdminEmail: Email?
    public var trustedProxies: [CIDR] = []
    public var metricsToken: String?
    public var accessTokenTTLSeconds = 900
    public var refreshTokenTTLSeconds = 604_800
    public var bcryptCost = 12
    /// Password hashes that may wait for a bcrypt thread, per process; past it, 503.
    public var bcryptQueue = 32
    public var rateLimits = RateLimits()
    public var allowedCommands = CommandAllowlist.standard
    public var maxBodyBytes = 1_048_576
    public var outputLimitBytes = 1_048_576
    public var maxUnfinishedJobs = 1000
    public var jobUser = "nobody"
    /// Whether a process that is not root may run jobs as its own user (development only).
    public var allowJobsAsWorkerUser = false
    public var jobResourceLimits = ResourceLimits()
    /// The box around each run (docs/isolation.md); its `defaults` are also the limits of
    /// a job that asks for none.
    public var sandbox = SandboxSettings()
    /// The most a job may ask for (`limits` of `POST /jobs`), and the most an admin may.
    public var jobLimitMaxima = RunLimits(memoryBytes: 2 << 30, cpu: 2, tasks: 1024)
    public var adminJobLimitMaxima = RunLimits(memoryBytes: 8 << 30, cpu: 4, tasks: 4096)
    public var stopGraceSeconds = 5
    public var retentionDays = 30
    /// How long audit entries are kept (CLOUDTASK_AUDIT_RETENTION_DAYS): a year by default.
    public var auditRetentionDays = 365
    /// Seconds between heartbeat comments on live event streams.
    public var liveHeartbeatSeconds = 15
    /// Live streams one user may hold open at once, per API process; and all of them.
    public var liveStreamsPerUser = 8
    public var liveStreamsPerProcess = 2_000
    /// How long a write to a live stream may wait for a client that reads nothing.
    public var liveWriteTimeoutSeconds = 30
    /// The mail server (`CLOUDTASK_SMTP_URL`); without it mail is written to the log.
    public var smtpURL: SMTPURL?
    /// CA bundle the mail server's certificate is checked against (the system's when nil).
    public var smtpCAFile: String?
    /// The sender address of every mail (`CLOUDTASK_MAIL_FROM`).
    public var mailFrom = "cloudtask@localhost"
    /// The base of links in mail (`CLOUDTASK_PUBLIC_URL`); by default this server's own address.
    public var publicURL: String?
    /// Attempts before a mail is dead-lettered (`CLOUDTASK_MAIL_MAX_ATTEMPTS`).
    public var mailMaxAttempts = 8
    /// The first retry's wait; each next one doubles, up to an hour (`CLOUDTASK_MAIL_RETRY_BASE_SECONDS`).
    public var mailRetryBaseSeconds = 30
    /// Refuse logins until the address is confirmed (`CLOUDTASK_REQUIRE_VERIFIED_EMAIL`).
    public var requireVerifiedEmail = false
    /// Where artifacts go (`CLOUDTASK_OBJECT_STORE_*`); nil: jobs may not declare any
    /// (the embedded mode keeps them in its memory).
    public var objectStore: S3Settings?
    /// Or a directory (`CLOUDTASK_OBJECT_STORE_URL=file:///path`), for one machine whose
    /// API and workers share its disk.
    public var objectStoreDirectory: String?
    /// The most one artifact may hold (`CLOUDTASK_ARTIFACT_MAX_BYTES`).
    public var artifactMaxBytes: Int64 = 100 << 20
    /// Answer a download with a redirect to a presigned URL valid this long, instead of
    /// passing the bytes through the API (`CLOUDTASK_ARTIFACT_REDIRECT_SECONDS`; 0: never).
    public var artifactRedirectSeconds = 0
    /// A trace viewer's page for one trace, `{trace_id}` standing for the id
    /// (`CLOUDTASK_TRACE_UI_URL`): the dashboard's job page links to it (docs/tracing.md).
    public var traceUIURL: String?
    public var logLevel = "info"
    public var logFormat = LogFormat.json

    public init() {}

    public enum LogFormat: String, Sendable { case json, text }

    /// The rate-limit policies (Application decides their names and defaults).
    public typealias RateLimits = RateLimitPolicies
}
