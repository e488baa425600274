public import Application
public import Logging
import Metrics
public import Ports
public import ServiceLifecycle

/// Plans account mail from the audit trail and sends what is due, on a short poll. It
/// runs beside every API (which holds the key that signs the links); instances share the
/// queue safely. A failing mail server only delays mail: it stays queued, retried with
/// backoff, and is dead-lettered after the configured attempts. No request waits on it.
public struct MailService: Service {
    let plan: PlanAccountMail
    let send: SendQueuedMail
    let queue: any MailQueue
    let clock: any WallClock
    let pollInterval: Duration
    let logger: Logger

    public init(
        plan: PlanAccountMail, send: SendQueuedMail, queue: any MailQueue, clock: any WallClock,
        pollInterval: Duration = .seconds(1), logger: Logger
    ) {
        self.plan = plan
        self.send = send
        self.queue = queue
        self.clock = clock
        self.pollInterval = pollInterval
        self.logger = logger
    }

    public func run() async throws {
        var failures = 0
        var measured = ContinuousClock.now - .seconds(60)
        let waiting = Gauge(label: MetricNames.mailBacklog)
        let dead = Gauge(label: MetricNames.mailDead)
        let lag = Gauge(label: MetricNames.mailLagSeconds)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let planned = try await plan()
                // A shutdown does not wait on a mail server (it may take its whole reply
                // timeout): the batch is cancelled, and what it held comes back after its lease.
                let outcomes = try await cancelWhenGracefulShutdown { try await send() }
                for (kind, outcome) in outcomes {
                    Counter(label: MetricNames.mailAttempts, dimensions: [("kind", kind.rawValue), ("outcome", outcome.label)])
                        .increment()
                    log(kind, outcome)
                }
                failures = 0
                if ContinuousClock.now - measured >= .seconds(5) {
                    let backlog = try await queue.backlog(now: clock.now())
                    waiting.record(backlog.pending)
                    dead.record(backlog.dead)
                    lag.record(backlog.oldestPendingAgeSeconds)
                    measured = ContinuousClock.now
                }
                // Straight on while there is work; otherwise wait for the next poll.
                if planned == 0 && outcomes.isEmpty { await pause(for: pollInterval) }
            } catch {
                failures += 1
                if failures == 1 { logger.warning("mail queue unavailable; retrying", metadata: ["error": "\(error)"]) }
                await pause(for: .milliseconds(min(30_000, 250 << min(failures, 7))))
            }
        }
    }

    func log(_ kind: MailKind, _ outcome: MailAttemptOutcome) {
        switch outcome {
        case .sent:
            logger.debug("mail sent", metadata: ["kind": "\(kind.rawValue)"])  // the transport logs it with its server
        case .retry(let at, let error):
            logger.warning(
                "mail not sent; will retry", metadata: ["kind": "\(kind.rawValue)", "retry_at": "\(at)", "error": "\(error)"])
        case .dead(let error):
            logger.error("mail given up (dead-lettered)", metadata: ["kind": "\(kind.rawValue)", "error": "\(error)"])
        case .dropped(let reason):
            logger.info("mail dropped", metadata: ["kind": "\(kind.rawValue)", "reason": "\(reason)"])
        }
    }
}
