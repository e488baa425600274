import Application
import Consumers
import Domain
import Foundation
import HTTP
import Hummingbird
import Infrastructure
import Logging
import Ports
import Runtime
import ServiceLifecycle

/// The API process of every mode: the adapters the configuration chose
/// (`Adapters.build`), the API's use cases and router on them, and the consumers this
/// process runs beside the API: all of them in one process (`--embedded`,
/// `--single-node`), or only the outbox relay when RabbitMQ carries jobs to
/// `cloudtask-worker` processes (relays are safe to run many times over, and a job
/// accepted here is published at once).
enum APIProcess {
    /// How long a SIGTERM may take: requests drain and running jobs get the executor's
    /// grace (30 s), plus slack; then what still runs is cancelled.
    static let shutdownLimit: Duration = .seconds(45)

    static func run(configuration config: CloudTaskConfiguration, concurrency: Int, logger: Logger) async throws {
        let roles: Set<WorkerRole> = config.amqpURL == nil ? Set(WorkerRole.allCases) : [.relay]
        let sandbox = try CompositionRoot.sandbox(config: config, roles: roles, logger: logger)
        let adapters = try Adapters.build(config, logger: logger)
        let workerID = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        let consumers = CompositionRoot.consumers(
            config: config, adapters: adapters, workerID: workerID, concurrency: roles == [.relay] ? 1 : concurrency,
            roles: roles, sandbox: sandbox, logger: logger)
        let app = try application(config, adapters: adapters, services: consumers, banner: banner(config), logger: logger)
        try await ProcessGroup.run(adapters: adapters, work: [app], gracePeriod: shutdownLimit, logger: logger)
    }

    /// The HTTP application on `adapters`, running `services` beside the server.
    static func application(
        _ config: CloudTaskConfiguration, adapters: Adapters, services: [any Service], banner: String,
        logger: Logger
    ) throws -> some ApplicationProtocol {
        let keys = SigningKeys(config)
        let hasher = BcryptPasswordHasher(
            cost: config.bcryptCost, threads: ProcessInfo.processInfo.activeProcessorCount,
            maxQueued: config.bcryptQueue)
        let tokens = JWTAccessTokens(
            current: keys.access, previous: keys.previousAccess,
            issuer: config.jwtIssuer, audience: config.jwtAudience)
        let shared = adapters.shared
        // This process's hub hears every job change (its own and other processes').
        let hub = JobChangeHub()
        let mfa = MFAComponents(
            store: adapters.mfa, codes: TOTPCodes(), recovery: RecoveryCodes(),
            challenges: HMACRefreshTokenMinter(pepper: keys.refreshPepper, prefix: "mfa_"), qr: QREncodeSVG(),
            limiter: shared.rateLimiter, audit: adapters.audit, clock: adapters.clock,
            settings: MFASettings(
                available: adapters.mfaAvailable, issuer: config.mfaIssuer,
                attemptsPerAccount: config.rateLimits.mfaAttempts))
        let links = HMACLinkTokens(secret: keys.refreshPepper)
        let useCases = APIUseCases(
            auth: AuthSettings(config), jobs: JobSettings(config),
            adapters: .init(
                users: adapters.users, sessions: adapters.sessions, audit: adapters.audit, mfa: mfa, jobs: adapters.jobs,
                denylist: shared.denylist,
                accessGate: shared.accessGate, cache: shared.cache, stopSignal: shared.stopSignal, hasher: hasher,
                issuer: tokens, verifier: MemoizedAccessTokenVerifier(tokens),
                minter: HMACRefreshTokenMinter(pepper: keys.refreshPepper), outboxSignal: adapters.outboxSignal,
                clock: adapters.clock, ids: adapters.ids, hub: hub, workers: shared.workers, links: links,
                rateLimiter: shared.rateLimiter, uploadSpool: TemporaryFileSpool(), objectStore: adapters.objectStore))
        let mail = try mailService(config, adapters: adapters, links: links, logger: logger)
        let registry = ProcessMetrics.registry
        let router = buildRouter(
            useCases: useCases, settings: HTTPSettings(config), rateLimiter: shared.rateLimiter, clock: adapters.clock,
            health: adapters.health, metricsFactory: ProcessMetrics.factory, exportMetrics: { registry.exposition() })
        let fanOut = JobChangeFanOutService(
            hub: hub, source: shared.jobChangeSource, jobs: adapters.jobs,
            heartbeat: .seconds(config.liveHeartbeatSeconds))
        return Application(
            router: router,
            configuration: .init(address: .hostname(config.httpHost, port: config.httpPort), serverName: "cloudtask"),
            services: services + [fanOut, mail],
            onServerRunning: { _ in
                logger.notice("\(banner)")
                logger.notice("listening on http://\(config.httpHost):\(config.httpPort)")
            },
            logger: logger)
    }

    /// Plans and sends mail beside the API, which holds the key that signs its links. A
    /// configured server whose TLS set-up fails (an unreadable CA bundle) stops the start:
    /// falling back to the log would write live links where they do not belong.
    static func mailService(
        _ config: CloudTaskConfiguration, adapters: Adapters, links: HMACLinkTokens, logger: Logger
    ) throws -> MailService {
        let transport: any MailTransport
        if let url = config.smtpURL {
            do {
                transport = try SMTPClient(url: url, from: config.mailFrom, caFile: config.smtpCAFile, logger: logger)
            } catch {
                throw ConfigurationError(problems: ["CLOUDTASK_SMTP_CA_FILE: not a usable CA bundle (\(error))"])
            }
        } else {
            transport = LoggingMailTransport(logger: logger)
        }
        let settings = MailSettings(config)
        return MailService(
            plan: PlanAccountMail(queue: adapters.mail, audit: adapters.audit, settings: settings),
            send: SendQueuedMail(
                queue: adapters.mail, users: adapters.users, jobs: adapters.jobs, transport: transport,
                composer: MailComposer(links: links, settings: settings), settings: settings, clock: adapters.clock,
                random: SystemRandomSource()),
            queue: adapters.mail, clock: adapters.clock, logger: logger)
    }

    static func banner(_ config: CloudTaskConfiguration) -> String {
        switch (config.databaseURL, config.redisURL, config.amqpURL) {
        case (nil, _, _):
            "CloudTask embedded mode: everything is in memory, and all data is lost when this process exits"
        case (_, _, .some):
            "CloudTask API: data in PostgreSQL, shared state in Redis, jobs through RabbitMQ to cloudtask-worker"
        case (_, nil, nil):
            "CloudTask single-node mode: data in PostgreSQL; queue, cache and limits in this process"
        case (_, .some, nil):
            "CloudTask single-node mode: data in PostgreSQL; cache and limits in Redis; queue in this process"
        }
    }
}

/// The API's keys: configured, or random when the configuration has none (`--embedded`:
/// tokens die with the process, like its data).
struct SigningKeys {
    let access: SigningKey
    let previousAccess: [SigningKey]
    let refreshPepper: SigningKey

    init(_ config: CloudTaskConfiguration) {
        access = config.accessSecret.flatMap(SigningKey.init(secret:)) ?? .random()
        previousAccess = config.previousAccessSecrets.compactMap(SigningKey.init(secret:))
        refreshPepper = config.refreshSecret.flatMap(SigningKey.init(secret:)) ?? .random()
    }
}

extension HTTPSettings {
    init(_ config: CloudTaskConfiguration) {
        self.init(
            maxBodyBytes: config.maxBodyBytes, trustedProxies: config.trustedProxies, metricsToken: config.metricsToken,
            rateLimits: config.rateLimits)
        liveStreams = LiveStreamLimits(
            perUser: config.liveStreamsPerUser, perProcess: config.liveStreamsPerProcess,
            writeTimeout: .seconds(config.liveWriteTimeoutSeconds))
        traceUIURL = config.traceUIURL
    }
}
