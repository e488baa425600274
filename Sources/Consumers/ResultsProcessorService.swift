public import Application
import Domain
import Metrics
public import Logging
public import Ports
public import ServiceLifecycle

/// Applies worker reports to the jobs, a batch per transaction, and acknowledges them
/// only after the transaction committed. A batch that fails is handed back to the
/// broker and retried; applying is idempotent, so a retry is harmless.
///
/// No lingering by default: a report is applied as soon as it arrives, and the reports
/// that arrive while a batch is being written make the next batch, so batches grow with
/// the load and a lone report waits for nobody.
public struct ResultsProcessorService: Service {
    let source: any JobEventSource
    let record: RecordJobEvents
    let batchSize: Int
    let linger: Duration
    let logger: Logger

    public init(source: any JobEventSource, record: RecordJobEvents, batchSize: Int = 200,
                linger: Duration = .zero, logger: Logger) {
        self.source = source
        self.record = record
        self.batchSize = batchSize
        self.linger = linger
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
                Counter(label: "cloudtask_jobs_finished_total", dimensions: [("status", status.rawValue)]).increment()
            case .workerLost:
                Counter(label: "cloudtask_jobs_finished_total", dimensions: [("status", "failed")]).increment()
            case .retryScheduled:
                Counter(label: "cloudtask_job_retries_total").increment()
            case .ignored:
                Counter(label: "cloudtask_job_events_ignored_total").increment()
            default:
                break
            }
        }
    }

    private func apply(_ batch: [Delivery<JobEvent>]) async {
        do {
            let effects = try await record(batch.map(\.message))
            for delivery in batch { try? await delivery.ack() }
            Self.count(effects)
        } catch {
            logger.warning("results: batch failed; handing it back", metadata: ["error": "\(error)", "size": "\(batch.count)"])
            for delivery in batch { try? await delivery.requeue() }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
