import Application
public import Consumers
import Domain
import Foundation
public import Infrastructure
public import Logging
public import Ports
public import ServiceLifecycle

/// The background roles a worker process can take on.
public enum WorkerRole: String, CaseIterable, Sendable {
    case executor, results, scheduler, relay
}

/// Builds the consumers from whichever adapters a mode chose (the API's use cases come
/// from `APIUseCases(configuration:adapters:)`), so modes cannot wire things apart.
public enum CompositionRoot {
    public static func consumers(
        config: CloudTaskConfiguration, jobs: any JobRepository & Outbox, sessions: any SessionStore, cache: any Cache,
        stopSignal: any StopSignal, lock: any DistributedLock, dispatches: any JobDispatchSource, events: any JobEventSource,
        stops: any StopRequestSource, publisher: any OutboxPublisher, eventPublisher: any JobEventPublisher,
        doorbell: RelayDoorbell, clock: any Clock, ids: any IDGenerator, workerID: String, concurrency: Int,
        roles: Set<WorkerRole> = Set(WorkerRole.allCases), outboxSignal: (any OutboxSignal)? = nil,
        shutdownGrace: Duration = .seconds(30), workers: (any WorkerRegistry)? = nil, logger: Logger
    ) -> [any Service] {
        // Who writes to the outbox rings this; the relay waits on `doorbell`. They differ
        // when the relay runs in another process (then a NOTIFY carries the ring).
        let outboxSignal = outboxSignal ?? doorbell
        var runnerSettings = ProcessRunnerSettings(
            allowlist: config.allowedCommands, outputLimitBytes: config.outputLimitBytes,
            stopGraceSeconds: config.stopGraceSeconds, jobUser: config.jobUser, limits: config.jobResourceLimits)
        runnerSettings.allowJobsAsWorkerUser = config.allowJobsAsWorkerUser
        let runner = IsolatedProcessRunner(settings: runnerSettings)
        // One registry: the executor records what the broadcast says, the runs consult it.
        let registry = StopRegistry()
        let runJob = RunJob(events: eventPublisher, stopSignal: stopSignal, stops: registry, runner: runner, clock: clock,
                            ids: ids, allowlist: config.allowedCommands, workerID: workerID)
        let backoff = Backoff()
        let running = RunningCount()
        // A service group shuts services down in reverse order, one after the other: the
        // executor first (it stops taking jobs and lets running ones finish), the results
        // processor last, so that the outcomes of those last runs are still recorded.
        var services: [(WorkerRole, any Service)] = [
            (.results, ResultsProcessorService(source: events, record: RecordJobEvents(
                jobs: jobs, cache: cache, outboxSignal: outboxSignal, clock: clock, ids: ids, random: SystemRandomSource(),
                backoff: backoff, stopSignal: stopSignal), logger: logger)),
            (.relay, OutboxRelayService(relay: RelayOutbox(outbox: jobs, publisher: publisher), doorbell: doorbell, clock: clock,
                                        logger: logger)),
            (.scheduler, SchedulerService(lock: lock, promote: PromoteDueJobs(jobs: jobs, cache: cache, outboxSignal: outboxSignal, clock: clock, ids: ids),
                             purge: PurgeExpired(jobs: jobs, sessions: sessions, outbox: jobs, clock: clock,
                                                 retentionDays: config.retentionDays),
                             owner: workerID, logger: logger)),
            (.executor, ExecutorService(source: dispatches, stops: stops, registry: registry, runJob: runJob, concurrency: concurrency,
                            shutdownGrace: shutdownGrace, running: running, clock: clock, logger: logger)),
        ]
        services.removeAll { !roles.contains($0.0) }
        // A process that only relays is not a worker (the API runs a relay).
        if let workers, !roles.subtracting([.relay]).isEmpty {
            services.append((.executor, WorkerHeartbeatService(
                registry: workers, workerID: workerID, roles: roles.map(\.rawValue).sorted(), concurrency: concurrency,
                running: running, clock: clock, logger: logger)))
        }
        return services.map(\.1)
    }
}
