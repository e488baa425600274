import Application
import Consumers
import Domain
import Foundation
public import Infrastructure
public import Logging
import Metrics
import Ports
public import ServiceLifecycle
import Telemetry

/// The background roles a worker process can take on.
public enum WorkerRole: String, CaseIterable, Sendable {
    case executor, results, scheduler, relay
}

extension CompositionRoot {
    /// The box for this process's runs, when it runs jobs and its mode is not `off`
    /// (docs/isolation.md); said in the log and, per part, in the metric
    /// `cloudtask_sandbox_feature`. Throws in mode `on` when a part is missing.
    public static func sandbox(config: CloudTaskConfiguration, roles: Set<WorkerRole>, logger: Logger) throws -> Sandbox? {
        guard roles.contains(.executor) else { return nil }
        guard let sandbox = try Sandbox.start(settings: config.sandbox) else {
            logger.warning(
                "the job sandbox is off (CLOUDTASK_SANDBOX=off): jobs run without namespaces, cgroups or a user of their own")
            Gauge(label: MetricNames.sandboxFeature, dimensions: [("feature", "sandbox")]).record(0)
            return nil
        }
        let capabilities = sandbox.capabilities
        for feature in capabilities.available {
            Gauge(label: MetricNames.sandboxFeature, dimensions: [("feature", feature)]).record(1)
        }
        for feature in capabilities.missing {
            Gauge(label: MetricNames.sandboxFeature, dimensions: [("feature", feature)]).record(0)
        }
        if capabilities.missing.isEmpty {
            logger.notice("\(capabilities.summary)")
        } else {
            logger.warning("\(capabilities.summary) (CLOUDTASK_SANDBOX=partial)")
        }
        return sandbox
    }
}

/// Builds the consumers on the adapters a process chose (`Adapters.build`); the API's
/// use cases come from `APIUseCases(auth:jobs:adapters:)`. Modes cannot wire them apart.
public enum CompositionRoot {
    public static func consumers(
        config: CloudTaskConfiguration, adapters: Adapters, workerID: String, concurrency: Int,
        roles: Set<WorkerRole> = Set(WorkerRole.allCases), shutdownGrace: Duration = .seconds(30), sandbox: Sandbox? = nil,
        logger: Logger
    ) -> [any Service] {
        let jobs = adapters.jobs
        let cache = adapters.shared.cache
        let stopSignal = adapters.shared.stopSignal
        let clock = adapters.clock
        let ids = adapters.ids
        let queue = adapters.queue
        let outboxSignal = adapters.outboxSignal
        var runnerSettings = ProcessRunnerSettings(
            allowlist: config.allowedCommands, outputLimitBytes: config.outputLimitBytes,
            stopGraceSeconds: config.stopGraceSeconds, jobUser: config.jobUser, limits: config.jobResourceLimits)
        runnerSettings.allowJobsAsWorkerUser = config.allowJobsAsWorkerUser
        let isolated = IsolatedProcessRunner(settings: runnerSettings, sandbox: sandbox)
        let runner: any ProcessRunner = Telemetry.isOn ? TracedProcessRunner(isolated) : isolated
        // One registry: the executor records what the broadcast says, the runs consult it.
        let registry = StopRegistry()
        let runJob = RunJob(
            events: queue, stopSignal: stopSignal, stops: registry, runner: runner, clock: clock,
            ids: ids, allowlist: config.allowedCommands, workerID: workerID,
            artifacts: ObjectStoreArtifactSink(store: adapters.objectStore, logger: logger),
            artifactMaxBytes: config.artifactMaxBytes)
        let backoff = Backoff()
        let running = RunningCount()
        // A service group shuts services down in reverse order, one after the other: the
        // executor first (it stops taking jobs and lets running ones finish), the results
        // processor last, so that the outcomes of those last runs are still recorded.
        var services: [(WorkerRole, any Service)] = [
            (
                .results,
                ResultsProcessorService(
                    source: queue,
                    record: RecordJobEvents(
                        jobs: jobs, cache: cache, outboxSignal: outboxSignal, clock: clock, ids: ids,
                        random: SystemRandomSource(),
                        backoff: backoff, stopSignal: stopSignal), logger: logger)
            ),
            (
                .relay,
                OutboxRelayService(
                    relay: RelayOutbox(outbox: jobs, publisher: queue), doorbell: adapters.doorbell, clock: clock,
                    logger: logger)
            ),
            (
                .scheduler,
                SchedulerService(
                    lock: adapters.shared.lock,
                    promote: PromoteDueJobs(jobs: jobs, cache: cache, outboxSignal: outboxSignal, clock: clock, ids: ids),
                    purge: PurgeExpired(
                        jobs: jobs, sessions: adapters.sessions, outbox: jobs, audit: adapters.audit, mfa: adapters.mfa,
                        mail: adapters.mail, clock: clock,
                        retentionDays: config.retentionDays, auditRetentionDays: config.auditRetentionDays,
                        objects: adapters.objectStore),
                    owner: workerID, logger: logger)
            ),
            (
                .executor,
                ExecutorService(
                    source: queue, stops: queue, registry: registry, runJob: runJob, concurrency: concurrency,
                    shutdownGrace: shutdownGrace, running: running, clock: clock, logger: logger)
            ),
        ]
        services.removeAll { !roles.contains($0.0) }
        // A process that only relays is not a worker (the API runs a relay).
        if !roles.subtracting([.relay]).isEmpty {
            services.append(
                (
                    .executor,
                    WorkerHeartbeatService(
                        registry: adapters.shared.workers, workerID: workerID, roles: roles.map(\.rawValue).sorted(),
                        concurrency: concurrency,
                        running: running, clock: clock, logger: logger)
                ))
        }
        // Outbox rows written elsewhere (retries, promotions, other instances) wake the relay too.
        if roles.contains(.relay) { services += adapters.relayWakeups.map { (.relay, $0) } }
        return services.map(\.1)
    }
}
