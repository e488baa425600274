import Application
import Consumers
import Domain
import Foundation
import HTTP
import Infrastructure
import Logging
import Ports
import ServiceLifecycle

/// Builds the consumers from whichever adapters a mode chose (the API's use cases come
/// from `APIUseCases(configuration:adapters:)`), so modes cannot wire things apart.
enum CompositionRoot {
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
