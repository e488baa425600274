import Application
import Domain
import Foundation
import Testing

@testable import Infrastructure

@Suite("Configuration")
struct ConfigurationTests {
    let production: [String: String] = [
        "CLOUDTASK_DATABASE_URL": "postgres://cloudtask:pw@127.0.0.1:5432/cloudtask",
        "CLOUDTASK_REDIS_URL": "redis://127.0.0.1:6379/0",
        "CLOUDTASK_AMQP_URL": "amqp://guest:guest@127.0.0.1:5672/%2f",
        "CLOUDTASK_JWT_ACCESS_SECRET": String(repeating: "a", count: 32),
        "CLOUDTASK_JWT_REFRESH_SECRET": String(repeating: "b", count: 32),
    ]

    func load(_ environment: [String: String], mode: ConfigurationLoader.Mode = .production) throws(ConfigurationError)
        -> CloudTaskConfiguration
    {
        var loader = try ConfigurationLoader(environment: environment)
        return try loader.load(mode: mode)
    }

    /// The variables a refused environment's problems name, and the whole message (to
    /// check that no secret is echoed); nil when the environment was accepted.
    func refusal(_ environment: [String: String]) -> (names: Set<String>, text: String)? {
        do {
            _ = try load(environment)
            return nil
        } catch {
            return (Set(error.problems.map { String($0.split(separator: ":")[0]) }), error.description)
        }
    }

    @Test("defaults match the documented table")
    func defaults() throws {
        let config = try load([:], mode: .embedded)
        #expect(config.httpHost == "127.0.0.1" && config.httpPort == 8080)
        #expect(config.accessTokenTTLSeconds == 900 && config.refreshTokenTTLSeconds == 604_800 && config.bcryptCost == 12)
        #expect(config.rateLimits.login == RateLimitPolicy(name: "login", limit: 5, windowSeconds: 900))
        #expect(config.rateLimits.jobsCreate == RateLimitPolicy(name: "jobs_create", limit: 120, windowSeconds: 60))
        #expect(config.rateLimits.uploads == RateLimitPolicy(name: "uploads", limit: 300, windowSeconds: 3600))
        #expect(config.allowedCommands == .standard && config.maxUnfinishedJobs == 1000 && config.jobUser == "nobody")
        #expect(config.jobResourceLimits == ResourceLimits() && config.stopGraceSeconds == 5 && config.retentionDays == 30)
    }

    @Test("production requires its services and secrets, naming each missing one")
    func required() {
        do {
            _ = try load([:])
            Issue.record("expected failure")
        } catch {
            #expect(
                error.problems.map { $0.split(separator: ":")[0] } == [
                    "CLOUDTASK_DATABASE_URL", "CLOUDTASK_REDIS_URL", "CLOUDTASK_AMQP_URL",
                    "CLOUDTASK_JWT_ACCESS_SECRET", "CLOUDTASK_JWT_REFRESH_SECRET",
                ])
        }
        #expect(throws: Never.self) { try load(production) }
    }

    @Test("each bad value is one line naming its variable, and never echoes the value")
    func badValues() {
        var environment = production
        environment["CLOUDTASK_HTTP_PORT"] = "99999"
        environment["CLOUDTASK_BCRYPT_COST"] = "9"
        environment["CLOUDTASK_RATE_LIMIT_LOGIN"] = "5 per minute"
        environment["CLOUDTASK_JWT_ACCESS_SECRET"] = "short-secret-value"
        environment["CLOUDTASK_TRUSTED_PROXIES"] = "10.0.0.0/8,not-a-cidr"
        environment["CLOUDTASK_JOB_RLIMITS"] = "cpu=lots"
        environment["CLOUDTASK_REDIS_URL"] = "http://example.com"
        do {
            _ = try load(environment)
            Issue.record("expected failure")
        } catch {
            let names = Set(error.problems.map { String($0.split(separator: ":")[0]) })
            #expect(
                names == [
                    "CLOUDTASK_HTTP_PORT", "CLOUDTASK_BCRYPT_COST", "CLOUDTASK_RATE_LIMIT_LOGIN",
                    "CLOUDTASK_JWT_ACCESS_SECRET", "CLOUDTASK_TRUSTED_PROXIES", "CLOUDTASK_JOB_RLIMITS", "CLOUDTASK_REDIS_URL",
                ])
            #expect(!error.description.contains("short-secret-value"))
        }
    }

    @Test("mail settings: defaults, good values, and each bad one named without echoing a password")
    func mail() throws {
        let defaults = try load([:], mode: .embedded)
        #expect(defaults.smtpURL == nil && defaults.mailFrom == "cloudtask@localhost" && defaults.publicURL == nil)
        #expect(defaults.mailMaxAttempts == 8 && defaults.mailRetryBaseSeconds == 30 && !defaults.requireVerifiedEmail)
        #expect(
            defaults.rateLimits.passwordResetPerEmail == RateLimitPolicy(name: "password_reset", limit: 3, windowSeconds: 3600))
        var environment = production
        environment["CLOUDTASK_SMTP_URL"] = "smtps://mailer:s3cret@mail.example.com"
        environment["CLOUDTASK_MAIL_FROM"] = "noreply@example.com"
        environment["CLOUDTASK_PUBLIC_URL"] = "https://tasks.example.com/"
        environment["CLOUDTASK_REQUIRE_VERIFIED_EMAIL"] = "true"
        environment["CLOUDTASK_MAIL_MAX_ATTEMPTS"] = "3"
        let good = try load(environment)
        #expect(good.smtpURL?.implicitTLS == true && good.smtpURL?.port == 465 && good.smtpURL?.password == "s3cret")
        #expect(good.mailFrom == "noreply@example.com" && good.publicURL == "https://tasks.example.com/")
        #expect(good.requireVerifiedEmail && good.mailMaxAttempts == 3)
        environment["CLOUDTASK_SMTP_URL"] = "http://mailer:s3cret@mail.example.com"
        environment["CLOUDTASK_MAIL_FROM"] = "not an address"
        environment["CLOUDTASK_PUBLIC_URL"] = "tasks.example.com?x=1"
        environment["CLOUDTASK_SMTP_CA_FILE"] = "/nonexistent/ca.pem"
        environment["CLOUDTASK_MAIL_MAX_ATTEMPTS"] = "0"
        let refused = try #require(refusal(environment))
        #expect(
            refused.names == [
                "CLOUDTASK_SMTP_URL", "CLOUDTASK_MAIL_FROM", "CLOUDTASK_PUBLIC_URL", "CLOUDTASK_SMTP_CA_FILE",
                "CLOUDTASK_MAIL_MAX_ATTEMPTS",
            ])
        #expect(!refused.text.contains("s3cret"))
    }

    @Test("the trace viewer's link: http(s) with {trace_id}, nothing that could leave an HTML attribute")
    func traceUIURL() throws {
        #expect(try load([:], mode: .embedded).traceUIURL == nil)
        var environment = production
        environment["CLOUDTASK_TRACE_UI_URL"] = "https://jaeger.example.com/trace/{trace_id}?uiEmbed=v0"
        #expect(try load(environment).traceUIURL == "https://jaeger.example.com/trace/{trace_id}?uiEmbed=v0")
        for bad in [
            "https://jaeger.example.com/trace/", "javascript:alert(1)//{trace_id}", "http://x/{trace_id}\"><script>",
            "http://x/{trace_id} y", "http://x/{trace_id}'", "https://x/{trace_id}" + String(repeating: "a", count: 2048),
        ] {
            environment["CLOUDTASK_TRACE_UI_URL"] = bad
            #expect(try refusal(environment)?.names == ["CLOUDTASK_TRACE_UI_URL"], "\(bad.prefix(40))")
        }
    }

    @Test("object storage: all or none; each missing or bad part named, the secret key never echoed")
    func objectStore() throws {
        let defaults = try load([:], mode: .embedded)
        #expect(defaults.objectStore == nil && defaults.artifactMaxBytes == 100 << 20 && defaults.artifactRedirectSeconds == 0)
        var environment = production
        environment["CLOUDTASK_OBJECT_STORE_URL"] = "http://127.0.0.1:9000"
        environment["CLOUDTASK_OBJECT_STORE_BUCKET"] = "cloudtask-artifacts"
        environment["CLOUDTASK_OBJECT_STORE_ACCESS_KEY"] = "AKIDEXAMPLE"
        environment["CLOUDTASK_OBJECT_STORE_SECRET_KEY"] = "s3cret-key"
        environment["CLOUDTASK_OBJECT_STORE_PATH_STYLE"] = "true"
        environment["CLOUDTASK_ARTIFACT_MAX_BYTES"] = "1048576"
        environment["CLOUDTASK_ARTIFACT_REDIRECT_SECONDS"] = "300"
        let good = try load(environment)
        let store = try #require(good.objectStore)
        #expect(store.endpoint.absoluteString == "http://127.0.0.1:9000" && store.bucket == "cloudtask-artifacts")
        #expect(store.region == "us-east-1" && store.pathStyle && store.accessKey == "AKIDEXAMPLE")
        #expect(good.artifactMaxBytes == 1 << 20 && good.artifactRedirectSeconds == 300)
        environment["CLOUDTASK_OBJECT_STORE_URL"] = "ftp://s3.example.com/path?x=1"
        environment["CLOUDTASK_OBJECT_STORE_BUCKET"] = "No_Such Bucket"
        environment["CLOUDTASK_OBJECT_STORE_REGION"] = "EU West"
        environment["CLOUDTASK_OBJECT_STORE_ACCESS_KEY"] = nil
        environment["CLOUDTASK_ARTIFACT_MAX_BYTES"] = "0"
        let refused = try #require(refusal(environment))
        #expect(
            refused.names == [
                "CLOUDTASK_OBJECT_STORE_URL", "CLOUDTASK_OBJECT_STORE_BUCKET", "CLOUDTASK_OBJECT_STORE_REGION",
                "CLOUDTASK_OBJECT_STORE_ACCESS_KEY", "CLOUDTASK_ARTIFACT_MAX_BYTES",
            ])
        #expect(!refused.text.contains("s3cret-key"))
        // A directory instead of S3: an absolute path, and nothing of S3's beside it.
        var directory = production
        directory["CLOUDTASK_OBJECT_STORE_URL"] = "file:///var/lib/cloudtask/objects"
        let local = try load(directory)
        #expect(local.objectStoreDirectory == "/var/lib/cloudtask/objects" && local.objectStore == nil)
        directory["CLOUDTASK_OBJECT_STORE_URL"] = "file:///var/lib/%2E%2E/objects"
        #expect(refusal(directory)?.names == ["CLOUDTASK_OBJECT_STORE_URL"])
        directory["CLOUDTASK_OBJECT_STORE_URL"] = "file://relative/../objects"
        directory["CLOUDTASK_OBJECT_STORE_BUCKET"] = "cloudtask"
        #expect(
            refusal(directory)?.names == ["CLOUDTASK_OBJECT_STORE_URL", "CLOUDTASK_OBJECT_STORE_BUCKET"])
        // A key without the URL is a mistake too, not a quiet "no artifacts".
        var partial = production
        partial["CLOUDTASK_OBJECT_STORE_SECRET_KEY"] = "s3cret-key"
        let partly = try #require(refusal(partial))
        #expect(partly.names == ["CLOUDTASK_OBJECT_STORE_SECRET_KEY"] && partly.text.contains("set without"))
        #expect(!partly.text.contains("s3cret-key"))
    }

    @Test("rate limits parse N/window or off; rlimits and commands parse")
    func parsing() throws {
        var environment = production
        environment["CLOUDTASK_RATE_LIMIT_API"] = "off"
        environment["CLOUDTASK_RATE_LIMIT_AUTH"] = "100/1h"
        environment["CLOUDTASK_RATE_LIMIT_JOBS_CREATE"] = "10/30s"
        environment["CLOUDTASK_RATE_LIMIT_UPLOADS"] = "off"
        environment["CLOUDTASK_JOB_RLIMITS"] = "cpu=10,as=512m,nofile=64"
        environment["CLOUDTASK_ALLOWED_COMMANDS"] = "echo, sleep"
        let config = try load(environment)
        #expect(config.rateLimits.api == nil)
        #expect(config.rateLimits.auth == RateLimitPolicy(name: "auth", limit: 100, windowSeconds: 3600))
        #expect(config.rateLimits.jobsCreate == RateLimitPolicy(name: "jobs_create", limit: 10, windowSeconds: 30))
        #expect(config.rateLimits.uploads == nil)
        #expect(config.jobResourceLimits.cpuSeconds == 10 && config.jobResourceLimits.addressSpaceBytes == 512 << 20)
        #expect(config.jobResourceLimits.openFiles == 64 && config.jobResourceLimits.processes == 64)
        #expect(config.allowedCommands == CommandAllowlist(["echo", "sleep"]))
    }

    @Test("Redis URLs: user, password (percent-decoded) and database; anything else refused without echoing it")
    func redisURLs() throws {
        #expect(try RedisURL("redis://127.0.0.1") == RedisURL(host: "127.0.0.1", port: 6379))
        #expect(
            try RedisURL("redis://:p%40ss@cache.internal:6380/2")
                == RedisURL(host: "cache.internal", port: 6380, password: "p@ss", database: 2))
        #expect(
            try RedisURL("redis://api:secret@10.0.0.5/1")
                == RedisURL(host: "10.0.0.5", username: "api", password: "secret", database: 1))
        for bad in ["rediss://host:6380", "redis://:pw@/0", "redis://host/two", "redis://host:0", "http://host"] {
            #expect(throws: RedisURLError.self) { try RedisURL(bad) }
        }
        var environment = production
        environment["CLOUDTASK_REDIS_URL"] = "redis://:topsecret@host/x"
        do {
            _ = try load(environment)
            Issue.record("expected failure")
        } catch {
            #expect(error.problems.count == 1 && error.problems[0].hasPrefix("CLOUDTASK_REDIS_URL:"))
            #expect(!error.description.contains("topsecret"))
        }
        // --single-node uses Redis only when it is configured.
        var single = production
        single["CLOUDTASK_REDIS_URL"] = nil
        #expect(try load(single, mode: .singleNode).redisURL == nil)
        #expect(try load(production, mode: .singleNode).redisURL == RedisURL(host: "127.0.0.1", database: 0))
    }

    @Test("AMQP URLs: scheme decides TLS and the default port; the vhost is the decoded path")
    func amqpURLs() throws {
        #expect(try AMQPURL("amqp://guest:guest@127.0.0.1:5672/%2f") == AMQPURL(host: "127.0.0.1", port: 5672))
        #expect(
            try AMQPURL("amqps://app:s%40cret@mq.internal/jobs")
                == AMQPURL(host: "mq.internal", port: 5671, tls: true, username: "app", password: "s@cret", vhost: "jobs"))
        #expect(try AMQPURL("amqp://mq").vhost == "/")
        for bad in ["http://mq", "amqp://", "amqp://mq:70000/"] {
            #expect(throws: AMQPURLError.self) { try AMQPURL(bad) }
        }
    }

    @Test("the worker needs PostgreSQL, Redis and RabbitMQ but no JWT secret; amqps needs a readable CA file")
    func workerMode() throws {
        var environment = production
        environment["CLOUDTASK_JWT_ACCESS_SECRET"] = nil
        environment["CLOUDTASK_JWT_REFRESH_SECRET"] = nil
        let config = try load(environment, mode: .worker)
        #expect(config.amqpURL?.host == "127.0.0.1" && config.redisURL != nil && config.accessSecret == nil)
        environment["CLOUDTASK_AMQP_URL"] = "amqps://u:p@mq.internal/%2f"
        environment["CLOUDTASK_AMQP_CA_FILE"] = "/nonexistent/ca.pem"
        do {
            _ = try load(environment, mode: .worker)
            Issue.record("expected failure")
        } catch {
            #expect(error.problems == ["CLOUDTASK_AMQP_CA_FILE: cannot read /nonexistent/ca.pem"])
        }
        environment["CLOUDTASK_AMQP_URL"] = nil
        do {
            _ = try load(environment, mode: .worker)
            Issue.record("expected failure")
        } catch {
            #expect(error.problems.map { String($0.split(separator: ":")[0]) } == ["CLOUDTASK_AMQP_URL"])
        }
    }

    @Test("a file supplies settings; the environment overrides it")
    func file() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cloudtask-\(UUID()).env").path
        try "# comment\nCLOUDTASK_HTTP_PORT=9000\nCLOUDTASK_JWT_ISSUER=\"from-file\"\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = try load(["CLOUDTASK_CONFIG_FILE": path, "CLOUDTASK_HTTP_PORT": "9100"], mode: .embedded)
        #expect(config.httpPort == 9100 && config.jwtIssuer == "from-file")
        #expect(throws: ConfigurationError.self) { try load(["CLOUDTASK_CONFIG_FILE": "/nonexistent/file"], mode: .embedded) }
    }

    @Test(
        "CIDRs match addresses of their family",
        arguments: [
            ("10.0.0.0/8", "10.1.2.3", true), ("10.0.0.0/8", "11.0.0.1", false), ("127.0.0.1", "127.0.0.1", true),
            ("192.168.1.0/24", "192.168.2.1", false), ("::1/128", "::1", true), ("fd00::/8", "fd12:3456::1", true),
            ("fd00::/8", "fe80::1", false), ("10.0.0.0/8", "::ffff:10.0.0.1", false), ("0.0.0.0/0", "8.8.8.8", true),
        ])
    func cidr(network: String, ip: String, contained: Bool) throws {
        #expect(try #require(CIDR(network)).contains(ip) == contained)
    }

    @Test(
        "bad CIDRs are refused", arguments: ["10.0.0.0/33", "10.0.0/8", "::1/129", "nonsense", "1.2.3.4/-1", "1:2:3:4:5:6:7:8:9"])
    func badCIDR(text: String) {
        #expect(CIDR(text) == nil)
    }

    @Test(
        "a rate-limit policy the limiter cannot enforce as written is refused, and the error names the bounds",
        arguments: ["1000000/1s", "1001/1s", "60001/1m", "5/25h", "5/0s", "0/1m", "-1/1m", "5/1d", "99999999999999999999/1h"])
    func unrepresentablePolicy(text: String) {
        #expect(ConfigurationLoader.parsePolicy(text, name: "api") == nil)
        do {
            _ = try load(["CLOUDTASK_RATE_LIMIT_API": text], mode: .embedded)
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.problems.count == 1)
            #expect(error.problems[0].contains("1s to 24h") && error.problems[0].contains("at most 1000 per second"))
        }
    }

    @Test(
        "policies at the bounds are kept exactly",
        arguments: [("1000/1s", 1000, 1), ("60000/1m", 60000, 60), ("1/24h", 1, 86_400)])
    func representablePolicy(text: String, limit: Int, window: Int) throws {
        let policy = try #require(ConfigurationLoader.parsePolicy(text, name: "api"))
        #expect(policy.limit == limit && policy.windowSeconds == window)
    }

    @Test("a process that runs jobs but cannot switch to the job user refuses to start, unless told it may")
    func jobsAsWorkerUser() throws {
        var loader = try ConfigurationLoader(environment: [:])
        do {
            _ = try loader.load(mode: .embedded, canSwitchUser: false)
            Issue.record("accepted")
        } catch {
            #expect(error.problems.count == 1 && error.problems[0].hasPrefix("CLOUDTASK_JOB_USER: this process is not root"))
        }
        #expect(throws: Never.self) { try loader.load(mode: .embedded, runsJobs: false, canSwitchUser: false) }
        var allowed = try ConfigurationLoader(environment: ["CLOUDTASK_ALLOW_JOBS_AS_WORKER_USER": "true"])
        #expect(try allowed.load(mode: .embedded, canSwitchUser: false).allowJobsAsWorkerUser)
    }

    @Test("the sandbox: on by default, off for an allowed non-root development worker, its limits and uids checked")
    func sandbox() throws {
        let defaults = try load([:], mode: .embedded).sandbox
        #expect(defaults.mode == .on && defaults.defaults == RunLimits(memoryBytes: 512 << 20, cpu: 1, tasks: 256))
        #expect(defaults.users == 200_000...200_999)
        var development = try ConfigurationLoader(environment: ["CLOUDTASK_ALLOW_JOBS_AS_WORKER_USER": "true"])
        #expect(try development.load(mode: .embedded, canSwitchUser: false).sandbox.mode == .off)
        let chosen = try load(
            [
                "CLOUDTASK_SANDBOX": "partial", "CLOUDTASK_JOB_MEMORY": "256m", "CLOUDTASK_JOB_CPUS": "0.5",
                "CLOUDTASK_JOB_TASKS": "32", "CLOUDTASK_JOB_UIDS": "300000-300099",
            ], mode: .embedded
        ).sandbox
        #expect(chosen.mode == .partial && chosen.defaults == RunLimits(memoryBytes: 256 << 20, cpu: 0.5, tasks: 32))
        #expect(chosen.users == 300_000...300_099)
        do {
            _ = try load(
                [
                    "CLOUDTASK_SANDBOX": "maybe", "CLOUDTASK_JOB_MEMORY": "1k", "CLOUDTASK_JOB_CPUS": "-1",
                    "CLOUDTASK_JOB_TASKS": "0", "CLOUDTASK_JOB_UIDS": "0-10",
                ], mode: .embedded)
            Issue.record("accepted")
        } catch {
            let names = error.problems.map { String($0.prefix(while: { $0 != ":" })) }
            #expect(
                names == [
                    "CLOUDTASK_SANDBOX", "CLOUDTASK_JOB_MEMORY", "CLOUDTASK_JOB_CPUS", "CLOUDTASK_JOB_TASKS",
                    "CLOUDTASK_JOB_UIDS",
                ])
        }
    }
}
