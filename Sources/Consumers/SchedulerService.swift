public import Application
import Foundation
public import Logging
public import Ports
public import ServiceLifecycle

/// Promotes due scheduled jobs and purges old data, on one leader at a time: the lease
/// is renewed every tick and lapses if the leader dies. Promotion itself is safe even
/// with two leaders (rows are claimed, skipping locked ones).
public struct SchedulerService: Service {
    let lock: any DistributedLock
    let promote: PromoteDueJobs
    let purge: PurgeExpired
    let owner: String
    let interval: Duration
    let purgeEvery: Duration
    let logger: Logger
    static let leaseName = "cloudtask:scheduler"

    public init(
        lock: any DistributedLock, promote: PromoteDueJobs, purge: PurgeExpired, owner: String,
        interval: Duration = .seconds(1), purgeEvery: Duration = .seconds(3600), logger: Logger
    ) {
        self.lock = lock
        self.promote = promote
        self.purge = purge
        self.owner = owner
        self.interval = interval
        self.purgeEvery = purgeEvery
        self.logger = logger
    }

    public func run() async throws {
        let leaseSeconds = max(5, Int(interval.components.seconds) * 10)
        var leading = false
        var lastPurge = ContinuousClock.now - purgeEvery
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let held =
                    leading
                    ? try await lock.renew(Self.leaseName, owner: owner, ttlSeconds: leaseSeconds)
                    : try await lock.acquire(Self.leaseName, owner: owner, ttlSeconds: leaseSeconds)
                if held != leading { logger.info(held ? "scheduler: leading" : "scheduler: lost the lease") }
                leading = held
                if leading {
                    while try await promote() > 0 {}
                    if ContinuousClock.now - lastPurge >= purgeEvery {
                        let purged = try await purge()
                        lastPurge = ContinuousClock.now
                        logger.info(
                            "purged old data",
                            metadata: [
                                "jobs": "\(purged.jobs)", "sessions": "\(purged.sessions)", "outbox": "\(purged.outboxMessages)",
                                "audit": "\(purged.auditEntries)", "mfa": "\(purged.mfaLeftovers)", "mail": "\(purged.mail)",
                                "uploads": "\(purged.uploads)",
                            ])
                    }
                }
            } catch {
                logger.warning("scheduler tick failed", metadata: ["error": "\(error)"])
            }
            await pause(for: interval)
        }
        if leading { try? await lock.release(Self.leaseName, owner: owner) }
    }
}
