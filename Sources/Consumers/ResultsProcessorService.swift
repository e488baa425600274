public import Application
import Domain
import Foundation
public import Logging
import Metrics
public import Ports
public import ServiceLifecycle
import Telemetry
import Tracing

/// Applies worker reports to the jobs, a batch per transaction, and acknowledges them
/// only after the transaction committed. Applying is idempotent, so a retry is harmless.
///
/// Poison isolation: one report must never hold up the others. A batch that fails
/// because the store is unavailable is handed back and retried (nothing is wrong with
/// it). A batch that fails for any other reason is applied again one report at a time;
/// a report that fails alone is tried `poisonAttempts` times, then dead-lettered with its
/// reason, and its job fails `report_rejected` instead of staying `running` for ever.
///
/// No lingering by default: a report is applied as soon as it arrives, and the reports
/// that arrive while a batch is being written make the next batch, so batches grow with
/// the load and a lone report waits for nobody.
public struct ResultsProcessorService: Service {
    let source: any JobEventSource
    let record: RecordJobEvents
    let batchSize: Int
    let linger: Duration
    let poisonAttempts: Int
    let logger: Logger

    public init(
        source: any JobEventSource, record: RecordJobEvents, batchSize: Int = 200,
        linger: Duration = .zero, poisonAttempts: Int = 3, logger: Logger
    ) {
        self.source = source
        self.record = record
        self.batchSize = batchSize
        self.linger = linger
        self.poisonAttempts = max(1, poisonAttempts)
        self.logger = logger
    }

    public func run() async throws {
        let deliveries = try await source.events(prefetch: batchSize * 2)
        let buffer = DeliveryBuffer<JobEvent>()
        let reader = Task {
            do {
                for try await delivery in deliveries { await buffer.push(delivery) }
            } catch {
                logger.warning("results: event stream ended", metadata: ["error": "\(error)"])
            }
            await buffer.finish()
        }
        await withGracefulShutdownHandler {
            while let batch = await buffer.take(max: batchSize, linger: linger) {
                guard !batch.isEmpty else { continue }
                await apply(batch)
            }
        } onGracefulShutdown: {
            reader.cancel()
        }
        reader.cancel()
    }

    /// Jobs finished by status, retries scheduled, events ignored (duplicates, stale).
    static func count(_ effects: [EventEffect]) {
        for effect in effects {
            switch effect {
            case .finished(let status, _, _):
                Counter(label: MetricNames.jobsFinished, dimensions: [("status", status.rawValue)]).increment()
            case .workerLost:
                Counter(label: MetricNames.jobsFinished, dimensions: [("status", "failed")]).increment()
            case .retryScheduled:
                Counter(label: MetricNames.jobRetries).increment()
            case .ignored:
                Counter(label: MetricNames.jobEventsIgnored).increment()
            default:
                break
            }
        }
    }

    /// What each run that ended used (when its worker measured it), by how it ended:
    /// `succeeded`, `failed`, `cancelled`, or `failed` for an attempt to be retried.
    static func recordUsage(_ applied: some Sequence<(JobEvent, EventEffect)>) {
        for (event, effect) in applied {
            guard let usage = event.usage else { continue }
            let status: String
            switch effect {
            case .finished(let final, _, _): status = final.rawValue
            case .retryScheduled: status = "failed"
            default: continue
            }
            let dimensions = [("status", status)]
            Recorder(label: MetricNames.jobCPUSeconds, dimensions: dimensions)
                .record(usage.cpuUserSeconds + usage.cpuSystemSeconds)
            Recorder(label: MetricNames.jobMemoryPeakBytes, dimensions: dimensions).record(usage.memoryPeakBytes)
            Recorder(label: MetricNames.jobTasksPeak, dimensions: dimensions).record(usage.tasksPeak)
        }
    }

    /// Whether trying again later may succeed: the store did not answer (or we are
    /// shutting down). Anything else is about the reports themselves.
    static func isTransient(_ error: any Error) -> Bool {
        error as? PortError == .unavailable || error is CancellationError
    }

    /// Applies a batch; with tracing on, in a span of its own, with a span for each
    /// traced start or finish in its job's trace (a child of the run that reported it,
    /// linked to the batch's span): docs/tracing.md.
    private func apply(_ batch: [Delivery<JobEvent>]) async {
        let traced = Telemetry.isOn ? batch.filter { $0.message.trace != nil && Self.spanName(of: $0.message) != nil } : []
        guard !traced.isEmpty else {
            _ = await applyBatch(batch)
            return
        }
        await Telemetry.withSpan("record reports", ofKind: .consumer) { batchSpan in
            batchSpan?.attributes["cloudtask.batch.size"] = batch.count
            let spans = traced.map { delivery -> (any Span)? in
                let event = delivery.message
                let span = Telemetry.startSpan(
                    Self.spanName(of: event) ?? "record", continuing: event.trace, ofKind: .consumer)
                if let batchSpan { span?.addLink(SpanLink(context: batchSpan.context, attributes: [:])) }
                span?.attributes["cloudtask.job_id"] = event.jobID.description
                span?.attributes["cloudtask.attempt"] = event.attempt
                return span
            }
            let clean = await applyBatch(batch)
            for span in spans {
                if !clean { span?.setStatus(SpanStatus(code: .error, message: "the batch was refused or handed back")) }
                span?.end()
            }
            if !clean { batchSpan?.setStatus(SpanStatus(code: .error, message: "the batch was refused or handed back")) }
        }
    }

    /// The span of a report that gets one: starts and finishes (output is too frequent).
    static func spanName(of event: JobEvent) -> String? {
        switch event.kind {
        case .started: "record job.started"
        case .finished: "record job.finished"
        case .output: nil
        }
    }

    /// Whether the batch was recorded as it came (not handed back, not isolated).
    private func applyBatch(_ batch: [Delivery<JobEvent>]) async -> Bool {
        do {
            let effects = try await record(batch.map(\.message))
            for delivery in batch { try? await delivery.ack() }
            Self.count(effects)
            Self.recordUsage(zip(batch.map(\.message), effects))
            return true
        } catch  where Self.isTransient(error) {
            await handBack(batch, error: error)
        } catch {
            logger.warning(
                "results: a batch was refused; applying its reports one at a time",
                metadata: ["error": "\(error)", "size": "\(batch.count)"])
            await isolate(batch)
        }
        return false
    }

    private func handBack(_ batch: some Collection<Delivery<JobEvent>>, error: any Error) async {
        logger.warning(
            "results: the store is unavailable; handing the batch back",
            metadata: ["error": "\(error)", "size": "\(batch.count)"])
        for delivery in batch { try? await delivery.requeue() }
        try? await Task.sleep(for: .seconds(1))
    }

    /// Applies each report alone, so that the good ones are recorded and only the bad
    /// one is set aside.
    private func isolate(_ batch: [Delivery<JobEvent>]) async {
        for index in batch.indices {
            do {
                try await applyAlone(batch[index])
            } catch {
                await handBack(batch[index...], error: error)
                return
            }
        }
    }

    /// Records one report, trying it `poisonAttempts` times; then dead-letters it and
    /// fails its job. Throws only a transient error (the caller hands the rest back).
    private func applyAlone(_ delivery: Delivery<JobEvent>) async throws {
        var failures = 0
        while true {
            do {
                let effects = try await record([delivery.message])
                try? await delivery.ack()
                Self.count(effects)
                Self.recordUsage(zip([delivery.message], effects))
                return
            } catch  where Self.isTransient(error) {
                throw error
            } catch {
                failures += 1
                guard failures >= poisonAttempts else {
                    try await Task.sleep(for: .milliseconds(100 * failures))
                    continue
                }
                try await setAside(delivery, because: error)
                return
            }
        }
    }

    private func setAside(_ delivery: Delivery<JobEvent>, because error: any Error) async throws {
        let event = delivery.message
        logger.error(
            "results: a report cannot be recorded; it is dead-lettered and its job fails report_rejected",
            metadata: [
                "job_id": "\(event.jobID)", "event_id": "\(event.eventID)", "attempt": "\(event.attempt)",
                "error": "\(error)",
            ])
        do {
            Self.count([try await record.failUnrecorded(event)])
        } catch  where Self.isTransient(error) {
            throw error
        } catch {
            logger.error(
                "results: the job of a dead-lettered report could not be failed either",
                metadata: ["job_id": "\(event.jobID)", "error": "\(error)"])
        }
        Counter(label: MetricNames.reportsDeadLettered).increment()
        try? await delivery.reject(reason: "the store refused this report \(poisonAttempts) times (\(error))")
    }
}
