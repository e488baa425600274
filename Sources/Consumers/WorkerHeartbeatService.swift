import Foundation
public import Logging
public import Ports
public import ServiceLifecycle

/// Tells the registry every few seconds that this worker process is alive, what it
/// does and how busy it is: the admin overview's "workers seen recently".
public struct WorkerHeartbeatService: Service {
    let registry: any WorkerRegistry
    let workerID: String
    let roles: [String]
    let concurrency: Int
    let running: RunningCount
    let clock: any WallClock
    let interval: Duration
    let logger: Logger

    public init(
        registry: any WorkerRegistry, workerID: String, roles: [String], concurrency: Int, running: RunningCount,
        clock: any WallClock, interval: Duration = .seconds(10), logger: Logger
    ) {
        self.registry = registry
        self.workerID = workerID
        self.roles = roles
        self.concurrency = concurrency
        self.running = running
        self.clock = clock
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let startedAt = clock.now()
        let host = ProcessInfo.processInfo.hostName
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let beat = WorkerHeartbeat(
                workerID: workerID, host: host, roles: roles, concurrency: concurrency,
                running: running.value, startedAt: startedAt, seenAt: clock.now())
            do {
                try await registry.beat(beat)
            } catch {
                logger.debug("heartbeat not recorded: the registry is unavailable")
            }
            await pause(for: interval)
        }
    }
}
