import Application
import Domain
import Foundation
import Glibc

/// Reads `CLOUDTASK_*` settings: defaults, overridden by an optional file named in
/// `CLOUDTASK_CONFIG_FILE` (`KEY=VALUE` lines, `#` comments), overridden by the
/// environment. Every problem is reported, one line each, before anything starts.
public struct ConfigurationLoader {
    public enum Mode: Sendable {
        /// PostgreSQL, Redis, RabbitMQ and the JWT secrets are required.
        case production
        /// Everything in memory; those settings are ignored.
        case embedded
        /// One process on PostgreSQL (durable): the database URL and the JWT secrets are
        /// required; Redis is used when its URL is set; RabbitMQ is not used.
        case singleNode
        /// Operator commands (`migrate`, `set-role`): only the database URL is required.
        case database
        /// `cloudtask-worker`: PostgreSQL, Redis and RabbitMQ; no JWT secrets.
        case worker
    }

    let values: [String: String]
    private var problems: [String] = []

    public init(environment: [String: String]) throws(ConfigurationError) {
        var merged: [String: String] = [:]
        if let path = environment["CLOUDTASK_CONFIG_FILE"], !path.isEmpty {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ConfigurationError(problems: ["CLOUDTASK_CONFIG_FILE: cannot read \(path)"])
            }
            merged = Self.parseFile(text)
        }
        for (key, value) in environment where key.hasPrefix("CLOUDTASK_") { merged[key] = value }
        values = merged
    }

    static func parseFile(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.drop { $0 == " " }
            guard !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
            var value = String(trimmed[trimmed.index(after: equals)...])
            if value.count >= 2, let first = value.first, first == value.last, first == "\"" || first == "'" {
                value = String(value.dropFirst().dropLast())
            }
            result[String(trimmed[..<equals]).trimmingCharacters(in: .whitespaces)] = value
        }
        return result
    }

    /// The validated configuration, or every problem found.
    /// `runsJobs`: whether this process will run programs (it must then be able to
    /// switch to the job user, or be told explicitly that it may not); `canSwitchUser`
    /// is whether it is root (a parameter for tests).
    public mutating func load(
        mode: Mode, runsJobs: Bool? = nil,
        canSwitchUser: Bool? = nil
    ) throws(ConfigurationError) -> CloudTaskConfiguration {
        let canSwitchUser = canSwitchUser ?? (geteuid() == 0)
        var config = CloudTaskConfiguration()
        problems = []
        config.httpHost = string("CLOUDTASK_HTTP_HOST") ?? config.httpHost
        config.httpPort = int("CLOUDTASK_HTTP_PORT", in: 1...65535) ?? config.httpPort
        if mode != .embedded {
            config.databaseURL = url("CLOUDTASK_DATABASE_URL", schemes: ["postgres", "postgresql"])
        }
        if mode == .production || mode == .worker || (mode == .singleNode && string("CLOUDTASK_REDIS_URL") != nil) {
            config.redisURL = redisURL("CLOUDTASK_REDIS_URL")
        }
        if mode == .production || mode == .worker {
            config.amqpURL = amqpURL("CLOUDTASK_AMQP_URL")
            config.amqpCAFile = string("CLOUDTASK_AMQP_CA_FILE") ?? config.amqpCAFile
            if config.amqpURL?.tls == true, !FileManager.default.isReadableFile(atPath: config.amqpCAFile) {
                problems.append("CLOUDTASK_AMQP_CA_FILE: cannot read \(config.amqpCAFile)")
            }
        }
        if mode == .production || mode == .singleNode {
            config.accessSecret = secret("CLOUDTASK_JWT_ACCESS_SECRET")
            config.refreshSecret = secret("CLOUDTASK_JWT_REFRESH_SECRET")
            if let access = config.accessSecret, access == config.refreshSecret {
                problems.append("CLOUDTASK_JWT_REFRESH_SECRET: must differ from CLOUDTASK_JWT_ACCESS_SECRET")
            }
        }
        if let previous = string("CLOUDTASK_JWT_PREVIOUS_ACCESS_SECRETS") {
            config.previousAccessSecrets = previous.split(separator: ",").map(String.init)
            if config.previousAccessSecrets.contains(where: { $0.utf8.count < 32 }) {
                problems.append("CLOUDTASK_JWT_PREVIOUS_ACCESS_SECRETS: every key must be at least 32 bytes")
            }
        }
        if let key = string("CLOUDTASK_MFA_KEY") {
            if key.utf8.count < 32 { problems.append("CLOUDTASK_MFA_KEY: must be at least 32 bytes") }
            config.mfaKey = key
        }
        if let old = string("CLOUDTASK_MFA_OLD_KEYS") {
            config.mfaOldKeys = old.split(separator: ",").map(String.init)
            if config.mfaOldKeys.contains(where: { $0.utf8.count < 32 }) {
                problems.append("CLOUDTASK_MFA_OLD_KEYS: every key must be at least 32 bytes")
            }
            if config.mfaKey == nil { problems.append("CLOUDTASK_MFA_OLD_KEYS: needs CLOUDTASK_MFA_KEY (the current key)") }
        }
        if let issuer = string("CLOUDTASK_MFA_ISSUER") {
            if issuer.utf8.count > 64 || issuer.contains(":") {
                problems.append("CLOUDTASK_MFA_ISSUER: must be at most 64 bytes, without ':'")
            } else {
                config.mfaIssuer = issuer
            }
        }
        config.jwtIssuer = string("CLOUDTASK_JWT_ISSUER") ?? config.jwtIssuer
        config.jwtAudience = string("CLOUDTASK_JWT_AUDIENCE") ?? config.jwtAudience
        if let email = string("CLOUDTASK_BOOTSTRAP_ADMIN_EMAIL") {
            config.bootstrapAdminEmail = try? Email(email)
            if config.bootstrapAdminEmail == nil {
                problems.append("CLOUDTASK_BOOTSTRAP_ADMIN_EMAIL: must be a valid email address")
            }
        }
        if let proxies = string("CLOUDTASK_TRUSTED_PROXIES") {
            let parsed = proxies.split(separator: ",").map { CIDR(String($0).trimmingCharacters(in: .whitespaces)) }
            if parsed.contains(where: { $0 == nil }) {
                problems.append("CLOUDTASK_TRUSTED_PROXIES: must be comma-separated CIDRs such as 10.0.0.0/8 or ::1/128")
            }
            config.trustedProxies = parsed.compactMap { $0 }
        }
        config.metricsToken = string("CLOUDTASK_METRICS_TOKEN")
        config.accessTokenTTLSeconds = int("CLOUDTASK_ACCESS_TOKEN_TTL", in: 10...86_400) ?? config.accessTokenTTLSeconds
        config.refreshTokenTTLSeconds = int("CLOUDTASK_REFRESH_TOKEN_TTL", in: 60...31_536_000) ?? config.refreshTokenTTLSeconds
        config.bcryptCost = int("CLOUDTASK_BCRYPT_COST", in: 10...15) ?? config.bcryptCost
        config.rateLimits.login = policy("CLOUDTASK_RATE_LIMIT_LOGIN", name: "login", default: config.rateLimits.login)
        config.rateLimits.auth = policy("CLOUDTASK_RATE_LIMIT_AUTH", name: "auth", default: config.rateLimits.auth)
        config.rateLimits.api = policy("CLOUDTASK_RATE_LIMIT_API", name: "api", default: config.rateLimits.api)
        config.rateLimits.jobsCreate = policy(
            "CLOUDTASK_RATE_LIMIT_JOBS_CREATE", name: "jobs_create", default: config.rateLimits.jobsCreate)
        config.rateLimits.loginPerEmail = policy(
            "CLOUDTASK_RATE_LIMIT_LOGIN_EMAIL", name: "login_email",
            default: config.rateLimits.loginPerEmail)
        config.rateLimits.uploads = policy(
            "CLOUDTASK_RATE_LIMIT_UPLOADS", name: "uploads", default: config.rateLimits.uploads)
        config.rateLimits.passwordChange = policy(
            "CLOUDTASK_RATE_LIMIT_PASSWORD", name: "password", default: config.rateLimits.passwordChange)
        config.rateLimits.mfaAttempts = policy(
            "CLOUDTASK_RATE_LIMIT_MFA", name: "mfa", default: config.rateLimits.mfaAttempts)
        config.bcryptQueue = int("CLOUDTASK_BCRYPT_QUEUE", in: 0...10_000) ?? config.bcryptQueue
        if let commands = string("CLOUDTASK_ALLOWED_COMMANDS") {
            let names = commands.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            if names.isEmpty || names.contains(where: { $0.isEmpty || $0.contains("/") }) {
                problems.append("CLOUDTASK_ALLOWED_COMMANDS: must be comma-separated program names (no paths)")
            }
            config.allowedCommands = CommandAllowlist(names)
        }
        config.maxBodyBytes = int("CLOUDTASK_MAX_BODY_BYTES", in: 1024...(64 << 20)) ?? config.maxBodyBytes
        config.outputLimitBytes = int("CLOUDTASK_OUTPUT_LIMIT_BYTES", in: 1024...(64 << 20)) ?? config.outputLimitBytes
        config.liveHeartbeatSeconds = int("CLOUDTASK_LIVE_HEARTBEAT_SECONDS", in: 1...300) ?? config.liveHeartbeatSeconds
        config.liveStreamsPerUser = int("CLOUDTASK_LIVE_STREAMS_PER_USER", in: 1...10_000) ?? config.liveStreamsPerUser
        config.liveStreamsPerProcess =
            int("CLOUDTASK_LIVE_STREAMS_PER_PROCESS", in: 1...1_000_000) ?? config.liveStreamsPerProcess
        config.liveWriteTimeoutSeconds =
            int("CLOUDTASK_LIVE_WRITE_TIMEOUT_SECONDS", in: 1...3600) ?? config.liveWriteTimeoutSeconds
        config.maxUnfinishedJobs = int("CLOUDTASK_MAX_UNFINISHED_JOBS", in: 1...1_000_000) ?? config.maxUnfinishedJobs
        config.jobUser = string("CLOUDTASK_JOB_USER") ?? config.jobUser
        config.allowJobsAsWorkerUser = bool("CLOUDTASK_ALLOW_JOBS_AS_WORKER_USER") ?? false
        if runsJobs ?? (mode != .production && mode != .database), !canSwitchUser, !config.allowJobsAsWorkerUser {
            problems.append(
                "CLOUDTASK_JOB_USER: this process is not root, so it cannot run jobs as \(config.jobUser), and a job run as "
                    + "its own user could read its files (secrets included); run it as root, or set "
                    + "CLOUDTASK_ALLOW_JOBS_AS_WORKER_USER=true to accept that (development only)")
        }
        if let limits = string("CLOUDTASK_JOB_RLIMITS") {
            if let parsed = ResourceLimits(parsing: limits) {
                config.jobResourceLimits = parsed
            } else {
                problems.append("CLOUDTASK_JOB_RLIMITS: must look like cpu=3600,as=1g,nproc=64,fsize=64m,nofile=256")
            }
        }
        config.sandbox = sandbox(
            default: canSwitchUser || !config.allowJobsAsWorkerUser ? .on : .off, current: config.sandbox)
        config.jobLimitMaxima = limits(prefix: "CLOUDTASK_JOB_MAX_", current: config.jobLimitMaxima)
        config.adminJobLimitMaxima = limits(prefix: "CLOUDTASK_ADMIN_JOB_MAX_", current: config.adminJobLimitMaxima)
        for (name, maxima) in [
            ("CLOUDTASK_JOB_MAX_", config.jobLimitMaxima), ("CLOUDTASK_ADMIN_JOB_MAX_", config.adminJobLimitMaxima),
        ]
        where !config.sandbox.defaults.exceeding(maxima).isEmpty {
            problems.append("\(name)*: the maxima must be at least the defaults (CLOUDTASK_JOB_MEMORY, _CPUS, _TASKS)")
        }
        config.stopGraceSeconds = int("CLOUDTASK_STOP_GRACE_SECONDS", in: 0...300) ?? config.stopGraceSeconds
        config.retentionDays = int("CLOUDTASK_RETENTION_DAYS", in: 1...3650) ?? config.retentionDays
        config.auditRetentionDays = int("CLOUDTASK_AUDIT_RETENTION_DAYS", in: 1...36500) ?? config.auditRetentionDays
        if let smtp = string("CLOUDTASK_SMTP_URL") {
            config.smtpURL = SMTPURL(smtp)
            if config.smtpURL == nil {
                problems.append("CLOUDTASK_SMTP_URL: must be smtp://[user:password@]host[:port] or smtps://…")
            }
        }
        if let caFile = string("CLOUDTASK_SMTP_CA_FILE") {
            if FileManager.default.isReadableFile(atPath: caFile) {
                config.smtpCAFile = caFile
            } else {
                problems.append("CLOUDTASK_SMTP_CA_FILE: cannot read \(caFile)")
            }
        }
        if let from = string("CLOUDTASK_MAIL_FROM") {
            if (try? Email(from)) == nil {
                problems.append("CLOUDTASK_MAIL_FROM: must be an email address")
            } else {
                config.mailFrom = from
            }
        }
        if let publicURL = string("CLOUDTASK_PUBLIC_URL") {
            if let parsed = URLComponents(string: publicURL), ["http", "https"].contains(parsed.scheme ?? ""),
                parsed.host?.isEmpty == false, parsed.query == nil, parsed.fragment == nil
            {
                config.publicURL = publicURL
            } else {
                problems.append("CLOUDTASK_PUBLIC_URL: must be an http:// or https:// URL without query or fragment")
            }
        }
        if let url = string("CLOUDTASK_OBJECT_STORE_URL"), url.hasPrefix("file:") {
            config.objectStoreDirectory = objectStoreDirectory(url)
        } else {
            config.objectStore = objectStore()
        }
        config.artifactMaxBytes =
            int("CLOUDTASK_ARTIFACT_MAX_BYTES", in: 1...(5 << 30)).map(Int64.init) ?? config.artifactMaxBytes
        config.artifactRedirectSeconds =
            int("CLOUDTASK_ARTIFACT_REDIRECT_SECONDS", in: 0...604_800) ?? config.artifactRedirectSeconds
        config.mailMaxAttempts = int("CLOUDTASK_MAIL_MAX_ATTEMPTS", in: 1...100) ?? config.mailMaxAttempts
        config.mailRetryBaseSeconds = int("CLOUDTASK_MAIL_RETRY_BASE_SECONDS", in: 1...3600) ?? config.mailRetryBaseSeconds
        config.requireVerifiedEmail = bool("CLOUDTASK_REQUIRE_VERIFIED_EMAIL") ?? config.requireVerifiedEmail
        config.rateLimits.passwordResetPerEmail = policy(
            "CLOUDTASK_RATE_LIMIT_PASSWORD_RESET", name: "password_reset", default: config.rateLimits.passwordResetPerEmail)
        if let template = string("CLOUDTASK_TRACE_UI_URL") {
            if Self.isTraceUIURL(template) {
                config.traceUIURL = template
            } else {
                problems.append(
                    "CLOUDTASK_TRACE_UI_URL: must be an http(s) URL of at most 2048 bytes with {trace_id} in it, such as http://jaeger:16686/trace/{trace_id}"
                )
            }
        }
        if let level = string("CLOUDTASK_LOG_LEVEL") {
            if ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(level) {
                config.logLevel = level
            } else {
                problems.append("CLOUDTASK_LOG_LEVEL: must be one of trace, debug, info, notice, warning, error, critical")
            }
        }
        if let format = string("CLOUDTASK_LOG_FORMAT") {
            if let parsed = CloudTaskConfiguration.LogFormat(rawValue: format) {
                config.logFormat = parsed
            } else {
                problems.append("CLOUDTASK_LOG_FORMAT: must be json or text")
            }
        }
        if !problems.isEmpty { throw ConfigurationError(problems: problems) }
        return config
    }

    /// The sandbox's settings. Its mode defaults to `on`, and to `off` only for a process
    /// that is not root and was allowed to run jobs as its own user (development).
    private mutating func sandbox(default mode: SandboxSettings.Mode, current: SandboxSettings) -> SandboxSettings {
        var settings = current
        settings.mode = mode
        if let text = string("CLOUDTASK_SANDBOX") {
            if let chosen = SandboxSettings.Mode(rawValue: text) {
                settings.mode = chosen
            } else {
                problems.append("CLOUDTASK_SANDBOX: must be on, partial or off")
            }
        }
        settings.defaults = limits(prefix: "CLOUDTASK_JOB_", current: settings.defaults)
        settings.ioWeight = int("CLOUDTASK_JOB_IO_WEIGHT", in: 1...1000) ?? settings.ioWeight
        if let text = string("CLOUDTASK_JOB_UIDS") {
            let bounds = text.split(separator: "-").compactMap { UInt32($0) }
            if bounds.count == 2, bounds[0] >= 1000, bounds[0] <= bounds[1], bounds[1] - bounds[0] < 1_000_000 {
                settings.users = bounds[0]...bounds[1]
            } else {
                problems.append(
                    "CLOUDTASK_JOB_UIDS: must be a range of unused uids, first-last, from 1000 up (e.g. 200000-200999)")
            }
        }
        return settings
    }

    /// `<prefix>MEMORY` (a size), `<prefix>CPUS` (cores) and `<prefix>TASKS`.
    private mutating func limits(prefix: String, current: RunLimits) -> RunLimits {
        var limits = current
        if let text = string(prefix + "MEMORY") {
            if let bytes = ResourceLimits.size(text), RunLimits.memoryBytesRange.contains(Int(clamping: bytes)) {
                limits.memoryBytes = Int(bytes)
            } else {
                problems.append("\(prefix)MEMORY: must be a size from 4m to 1024g (e.g. 512m)")
            }
        }
        if let text = string(prefix + "CPUS") {
            if let cores = Double(text), RunLimits.cpuRange.contains(cores) {
                limits.cpu = cores
            } else {
                problems.append("\(prefix)CPUS: must be a number of cores from 0.01 to 1024 (e.g. 0.5)")
            }
        }
        limits.tasks = int(prefix + "TASKS", in: RunLimits.tasksRange) ?? limits.tasks
        return limits
    }

    /// The directory of a `file:///path` URL: absolute, no `..`; the S3 settings beside it
    /// would mean nothing, so they are a mistake to name.
    private mutating func objectStoreDirectory(_ url: String) -> String? {
        let prefix = "CLOUDTASK_OBJECT_STORE_"
        for name in ["BUCKET", "REGION", "ACCESS_KEY", "SECRET_KEY", "PATH_STYLE"] where string(prefix + name) != nil {
            problems.append("\(prefix)\(name): not used with a file:// CLOUDTASK_OBJECT_STORE_URL")
        }
        let encoded = String(url.dropFirst("file://".count))
        let path = encoded.removingPercentEncoding ?? encoded
        guard url.hasPrefix("file:///"), !path.split(separator: "/").contains(".."), !path.contains("\0") else {
            problems.append("\(prefix)URL: a file:// URL must name an absolute directory, e.g. file:///var/lib/cloudtask/objects")
            return nil
        }
        return path
    }

    /// The S3 settings, all or none: a URL without its bucket or keys (or the other way
    /// round) is a mistake to name, not a reason to run without artifacts.
    private mutating func objectStore() -> S3Settings? {
        let prefix = "CLOUDTASK_OBJECT_STORE_"
        let names = ["URL", "BUCKET", "REGION", "ACCESS_KEY", "SECRET_KEY", "PATH_STYLE"]
        guard let url = string(prefix + "URL") else {
            if let set = names.first(where: { string(prefix + $0) != nil }) {
                problems.append("\(prefix)\(set): set without CLOUDTASK_OBJECT_STORE_URL")
            }
            return nil
        }
        var complete = true
        let endpoint = URLComponents(string: url)
        if endpoint == nil || !["http", "https"].contains(endpoint?.scheme ?? "") || endpoint?.host?.isEmpty != false
            || endpoint?.query != nil || endpoint?.fragment != nil || !["", "/"].contains(endpoint?.path ?? "")
            || endpoint?.user != nil
        {
            problems.append(
                "\(prefix)URL: must be http:// or https:// and a host (and port), e.g. https://s3.eu-west-1.amazonaws.com")
            complete = false
        }
        let bucket = string(prefix + "BUCKET") ?? ""
        let bucketCharacters = bucket.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "."
        }
        if !(3...63).contains(bucket.count) || !bucketCharacters {
            problems.append("\(prefix)BUCKET: must be a bucket name (3 to 63 of a-z, 0-9, '-' and '.')")
            complete = false
        }
        let region = string(prefix + "REGION") ?? "us-east-1"
        if region.isEmpty
            || !region.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" })
        {
            problems.append("\(prefix)REGION: must be a region name such as eu-west-1")
            complete = false
        }
        let access = string(prefix + "ACCESS_KEY")
        let secret = string(prefix + "SECRET_KEY")
        if access == nil { problems.append("\(prefix)ACCESS_KEY: required with CLOUDTASK_OBJECT_STORE_URL") }
        if secret == nil { problems.append("\(prefix)SECRET_KEY: required with CLOUDTASK_OBJECT_STORE_URL") }
        let pathStyle = bool(prefix + "PATH_STYLE") ?? false
        guard complete, let access, let secret, let parsed = endpoint?.url else { return nil }
        return S3Settings(
            endpoint: parsed, bucket: bucket, region: region, accessKey: access, secretKey: secret, pathStyle: pathStyle)
    }

    private func string(_ name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    private mutating func bool(_ name: String) -> Bool? {
        guard let text = string(name) else { return nil }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default:
            problems.append("\(name): must be true or false")
            return nil
        }
    }

    private mutating func int(_ name: String, in range: ClosedRange<Int>) -> Int? {
        guard let text = string(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            problems.append("\(name): must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    private mutating func url(_ name: String, schemes: [String]) -> String? {
        guard let text = string(name) else {
            problems.append("\(name): is required (e.g. \(schemes[0])://…)")
            return nil
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme, schemes.contains(scheme),
            components.host?.isEmpty == false
        else {
            problems.append("\(name): must be a \(schemes.map { $0 + "://" }.joined(separator: " or ")) URL with a host")
            return nil
        }
        return text
    }

    private mutating func amqpURL(_ name: String) -> AMQPURL? {
        guard let text = string(name) else {
            problems.append("\(name): is required (e.g. amqp://user:pass@127.0.0.1:5672/%2f)")
            return nil
        }
        do {
            return try AMQPURL(text)
        } catch {
            problems.append("\(name): \(error.description)")
            return nil
        }
    }

    private mutating func redisURL(_ name: String) -> RedisURL? {
        guard let text = string(name) else {
            problems.append("\(name): is required (e.g. redis://127.0.0.1:6379/0)")
            return nil
        }
        do {
            return try RedisURL(text)
        } catch {
            problems.append("\(name): \(error.description)")
            return nil
        }
    }

    private mutating func secret(_ name: String) -> String? {
        guard let text = string(name) else {
            problems.append("\(name): is required (at least 32 bytes, e.g. from `openssl rand -base64 48`)")
            return nil
        }
        guard text.utf8.count >= 32 else {
            problems.append("\(name): must be at least 32 bytes")
            return nil
        }
        return text
    }

    /// `N/15m`, `N/1m`, `N/30s`, `N/1h`, or `off`.
    private mutating func policy(_ name: String, name policyName: String, default fallback: RateLimitPolicy?) -> RateLimitPolicy?
    {
        guard let text = string(name) else { return fallback }
        if text == "off" { return nil }
        if let parsed = Self.parsePolicy(text, name: policyName) { return parsed }
        problems.append(
            "\(name): must be N/<window> or off, with a window from 1s to 24h (s, m or h) and N from 1 to "
                + "the window in milliseconds (at most 1000 per second: the limiter counts whole milliseconds), "
                + "such as 5/15m, 600/1m, 10/30s, 100/1h")
        return fallback
    }

    /// The longest window a policy may have.
    static let maxWindowSeconds = 86_400

    /// A policy the limiter can enforce exactly as written, or nil: GCRA spaces requests
    /// `window / N` milliseconds apart, so N may not exceed the window in milliseconds.
    static func parsePolicy(_ text: String, name: String) -> RateLimitPolicy? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].utf8.count <= 9, parts[1].utf8.count <= 7, let limit = Int(parts[0]), limit > 0,
            let unit = parts[1].last, let amount = Int(parts[1].dropLast()), amount > 0, amount <= maxWindowSeconds
        else { return nil }
        let seconds: Int
        switch unit {
        case "s": seconds = amount
        case "m": seconds = amount * 60
        case "h": seconds = amount * 3600
        default: return nil
        }
        guard seconds <= maxWindowSeconds, limit <= seconds * 1000 else { return nil }
        return RateLimitPolicy(name: name, limit: limit, windowSeconds: seconds)
    }

    /// A link the dashboard may show: http(s), printable ASCII without quotes or angle
    /// brackets (it goes into an HTML attribute), with the place for the trace id.
    static func isTraceUIURL(_ text: String) -> Bool {
        (text.hasPrefix("http://") || text.hasPrefix("https://")) && text.contains("{trace_id}") && text.utf8.count <= 2048
            && text.utf8.allSatisfy { (0x21...0x7E).contains($0) && !"\"'<>`\\".utf8.contains($0) }
    }
}
