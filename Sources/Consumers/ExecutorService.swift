public import Application
import Domain
import Foundation
public import Logging
import Metrics
public import Ports
public import ServiceLifecycle
import Synchronization
import Telemetry
import Tracing

/// Runs dispatched jobs, at most `concurrency` at once (the broker's prefetch), and
/// listens to the stop broadcast. A dispatch is acknowledged only once its outcome is
/// confirmed published. On shutdown it takes no new dispatch, lets running jobs finish
/// within `shutdownGrace`, then stops the rest and hands their dispatches back.
public struct ExecutorService: Service {
    let source: any JobDispatchSource
    let stops: any StopRequestSource
    let registry: StopRegistry
    let runJob: RunJob
    let concurrency: Int
    let shutdownGrace: Duration
    let inFlight: RunningCount
    let clock: any WallClock
    let logger: Logger

    public init(
        source: any JobDispatchSource, stops: any StopRequestSource, registry: StopRegistry, runJob: RunJob,
        concurrency: Int, shutdownGrace: Duration = .seconds(30), running: RunningCount = RunningCount(),
        clock: any WallClock, logger: Logger
    ) {
        self.inFlight = running
        self.clock = clock
        self.source = source
        self.stops = stops
        self.registry = registry
        self.runJob = runJob
        self.concurrency = max(1, concurrency)
        self.shutdownGrace = shutdownGrace
        self.logger = logger
    }

    public func run() async throws {
        let stopStream = try await stops.stopRequests()
        let listener = Task { [registry, clock] in
            for try await stop in stopStream { await registry.record(stop.jobID, at: clock.now()) }
        }
        defer { listener.cancel() }
        let intake = try await source.dispatches(prefetch: concurrency)
        await withDiscardingTaskGroup { group in
            // On shutdown the intake stops (the broker sends nothing more) but the
            // subscription stays: the jobs running here are acknowledged here when they
            // finish, instead of being handed to another worker while they still run.
            await withGracefulShutdownHandler {
                do {
                    for try await delivery in intake {
                        if Task.isShuttingDownGracefully {
                            // Received before the intake stopped, not started: back to the queue.
                            try? await delivery.requeue()
                            continue
                        }
                        inFlight.change(by: 1)
                        group.addTask {
                            let started = ContinuousClock.now
                            await handle(delivery)
                            Timer(label: MetricNames.jobRunSeconds).record(duration: ContinuousClock.now - started)
                            inFlight.change(by: -1)
                        }
                    }
                } catch {
                    logger.warning("executor: dispatch stream ended", metadata: ["error": "\(error)"])
                }
            } onGracefulShutdown: {
                intake.stopIntake()
            }
            // No more intake. Running jobs get the grace period, then are stopped.
            let deadline = ContinuousClock.now + shutdownGrace
            while inFlight.value > 0 && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(100))
            }
            group.cancelAll()
        }
    }

    private func handle(_ delivery: Delivery<JobDispatch>) async {
        // The run is a span of the job's trace (a child of the relay's publish, or of the
        // request when the relay did not trace); the reports it makes carry this span's
        // context, so the results processor's spans are its children (docs/tracing.md).
        await Telemetry.withSpan("run job", continuing: delivery.message.trace, ofKind: .consumer) { span in
            span?.updateAttributes { attributes in
                attributes["cloudtask.job_id"] = delivery.message.jobID.description
                attributes["cloudtask.attempt"] = delivery.message.attempt
                attributes["messaging.system"] = "rabbitmq"
            }
            let dispatch = delivery.message.continuing(Telemetry.traceParent(of: span?.context))
            await handle(delivery, dispatch, span: span)
        }
    }

    private func handle(_ delivery: Delivery<JobDispatch>, _ dispatch: JobDispatch, span: (any Span)?) async {
        var logger = logger
        logger[metadataKey: "job_id"] = .string(dispatch.jobID.description)
        do {
            switch try await runJob(dispatch, redelivered: delivery.redelivered) {
            case .reported(let outcome):
                try await delivery.ack()
                span?.attributes["cloudtask.outcome"] = String("\(outcome)".prefix(200))
                logger.info("job run finished", metadata: ["outcome": "\(outcome)", "attempt": "\(dispatch.attempt)"])
            case .abandoned:
                try await delivery.requeue()
                span?.attributes["cloudtask.outcome"] = "abandoned"
                logger.info("job run abandoned at shutdown; handed back")
            }
        } catch {
            span?.setStatus(SpanStatus(code: .error, message: "the outcome could not be reported"))
            logger.warning("job run could not be reported; handing it back", metadata: ["error": "\(error)"])
            try? await delivery.requeue()
        }
    }
}

/// How many job runs are in progress (shared by the runs' tasks, read by the heartbeat).
public final class RunningCount: Sendable {
    private let count = Mutex(0)
    private let gauge = Gauge(label: MetricNames.workerJobsInFlight)
    public init() {}
    func change(by delta: Int) {
        let value = count.withLock {
            $0 += delta
            return $0
        }
        gauge.record(value)
    }
    public var value: Int { count.withLock { $0 } }
}
