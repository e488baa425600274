public import Application
public import Logging
import Metrics
public import Ports
public import ServiceLifecycle

/// Publishes the outbox: right after a local commit rings the doorbell, and on a short
/// poll for commits made by other API instances. Failures back off and retry: the
/// messages stay in the outbox until the broker confirms them.
public struct OutboxRelayService: Service {
    let relay: RelayOutbox
    let doorbell: RelayDoorbell
    let clock: any WallClock
    let pollInterval: Duration
    let logger: Logger

    public init(
        relay: RelayOutbox, doorbell: RelayDoorbell, clock: any WallClock, pollInterval: Duration = .seconds(1), logger: Logger
    ) {
        self.relay = relay
        self.doorbell = doorbell
        self.clock = clock
        self.pollInterval = pollInterval
        self.logger = logger
    }

    public func run() async throws {
        var failures = 0
        var measured = ContinuousClock.now - .seconds(60)
        let waiting = Gauge(label: MetricNames.outboxBacklog)
        let lag = Gauge(label: MetricNames.outboxLagSeconds)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                _ = try await relay()
                failures = 0
                if ContinuousClock.now - measured >= .seconds(5) {
                    // What is left after a pass: messages the broker has not confirmed yet.
                    let backlog = try await relay.backlog(now: clock.now())
                    waiting.record(backlog.count)
                    lag.record(backlog.oldestAgeSeconds)
                    measured = ContinuousClock.now
                }
                await cancelWhenGracefulShutdown { await doorbell.wait(timeout: pollInterval) }
            } catch {
                failures += 1
                if failures == 1 { logger.warning("outbox relay failed; retrying", metadata: ["error": "\(error)"]) }
                await pause(for: .milliseconds(min(30_000, 250 << min(failures, 7))))
            }
        }
    }
}
