import Application
import Consumers
import Domain
import Foundation
import HTTP
import Infrastructure
import Logging
import Ports
import ServiceLifecycle

/// Builds use cases and consumers from whichever adapters a mode chose. Shared by the
/// embedded mode and (later) the production mode, so the two cannot wire things apart.
enum CompositionRoot {
    static func useCases(
        config: CloudTaskConfiguration, users: any UserRepository, sessions: any SessionStore, jobs: any JobRepository,
        denylist: any TokenDenylist, cache: any Cache, stopSignal: any StopSignal, hasher: any PasswordHasher,
        tokens: JWTAccessTokens, minter: any RefreshTokenMinter, outboxSignal: any OutboxSignal, clock: any Clock,
        ids: any IDGenerator
    ) -> APIUseCases {
        let auth = AuthSettings(
            accessTokenTTLSeconds: config.accessTokenTTLSeconds, refreshTokenTTLSeconds: config.refreshTokenTTLSeconds,
            bootstrapAdmin: BootstrapAdminRule(email: config.bootstrapAdminEmail))
        let jobSettings = JobSettings(allowlist: config.allowedCommands, maxUnfinishedJobs: config.maxUnfinishedJobs)
        let sessionTokens = SessionTokens(sessions: sessions, issuer: tokens, minter: minter, clock: clock, ids: ids, settings: auth)
        return APIUseCases(
            register: RegisterUser(users: users, hasher: hasher, tokens: sessionTokens, clock: clock, ids: ids,
                                   bootstrapAdmin: auth.bootstrapAdmin),
            login: Login(users: users, hasher: hasher, tokens: sessionTokens, clock: clock),
            refresh: RefreshSession(sessions: sessions, users: users, denylist: denylist, minter: minter, tokens: sessionTokens,
                                    clock: clock, settings: auth),
            logout: Logout(sessions: sessions, denylist: denylist, minter: minter, clock: clock, settings: auth),
            changePassword: ChangePassword(users: users, sessions: sessions, denylist: denylist, hasher: hasher, clock: clock,
                                           settings: auth),
            authenticate: AuthenticateAccessToken(verifier: tokens, denylist: denylist, sessions: sessions, clock: clock),
            profile: GetProfile(users: users, cache: cache),
            createJob: CreateJob(jobs: jobs, outboxSignal: outboxSignal, clock: clock, ids: ids, settings: jobSettings),
            listJobs: ListJobs(jobs: jobs),
            getJob: GetJob(jobs: jobs, cache: cache),
            stopJob: StopJob(jobs: jobs, stopSignal: stopSignal, outboxSignal: outboxSignal, cache: cache, clock: clock, ids: ids,
                             settings: jobSettings),
            jobOutput: GetJobOutput(jobs: jobs, cache: cache))
    }

    static func consumers(
        config: CloudTaskConfiguration, jobs: any JobRepository & Outbox, sessions: any SessionStore, cache: any Cache,
        stopSignal: any StopSignal, lock: any DistributedLock, dispatches: any JobDispatchSource, events: any JobEventSource,
        stops: any StopRequestSource, publisher: any OutboxPublisher, eventPublisher: any JobEventPublisher,
        doorbell: RelayDoorbell, clock: any Clock, ids: any IDGenerator, workerID: String, concurrency: Int, logger: Logger
    ) -> [any Service] {
        let runner = IsolatedProcessRunner(settings: ProcessRunnerSettings(
            allowlist: config.allowedCommands, outputLimitBytes: config.outputLimitBytes,
            stopGraceSeconds: config.stopGraceSeconds, jobUser: config.jobUser, limits: config.jobResourceLimits))
        // One registry: the executor records what the broadcast says, the runs consult it.
        let registry = StopRegistry()
        let runJob = RunJob(events: eventPublisher, stopSignal: stopSignal, stops: registry, runner: runner, clock: clock,
                            ids: ids, allowlist: config.allowedCommands, workerID: workerID)
        let backoff = Backoff()
        return [
            OutboxRelayService(relay: RelayOutbox(outbox: jobs, publisher: publisher), doorbell: doorbell, logger: logger),
            ExecutorService(source: dispatches, stops: stops, registry: registry, runJob: runJob, concurrency: concurrency,
                            logger: logger),
            ResultsProcessorService(source: events, record: RecordJobEvents(
                jobs: jobs, cache: cache, outboxSignal: doorbell, clock: clock, ids: ids, random: SystemRandomSource(),
                backoff: backoff), logger: logger),
            SchedulerService(lock: lock, promote: PromoteDueJobs(jobs: jobs, cache: cache, outboxSignal: doorbell, clock: clock, ids: ids),
                             purge: PurgeExpired(jobs: jobs, sessions: sessions, outbox: jobs, clock: clock,
                                                 retentionDays: config.retentionDays),
                             owner: workerID, logger: logger),
        ]
    }
}
