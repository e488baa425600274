public import Domain
public import Foundation
public import Ports

/// The admin overview: jobs by status, jobs finished per minute, the outbox's lag, and
/// the workers seen recently.
public struct GetOverview: Sendable {
    let statistics: any JobStatistics
    let outbox: any Outbox
    let workers: any WorkerRegistry
    let clock: any WallClock

    /// How far back the throughput goes, and how recent a heartbeat must be.
    public static let throughputMinutes = 30
    public static let workerFreshnessSeconds: Double = 30

    public init(statistics: any JobStatistics, outbox: any Outbox, workers: any WorkerRegistry, clock: any WallClock) {
        self.statistics = statistics
        self.outbox = outbox
        self.workers = workers
        self.clock = clock
    }

    public struct Overview: Sendable {
        public let generatedAt: Date
        public let jobsByStatus: [JobStatus: Int]
        /// One entry per minute of the window, oldest first, zeros included.
        public let finishedPerMinute: [(minute: Date, counts: [JobStatus: Int])]
        public let outboxBacklog: Int
        public let outboxOldestAgeSeconds: Double
        /// Nil when the registry could not be read (Redis down): unknown, not "none".
        public let workers: [WorkerHeartbeat]?
    }

    public func callAsFunction(caller: AccessClaims) async throws -> Overview {
        guard caller.role.maySeeAllJobs else { throw UseCaseError.forbidden("only admins may see the overview") }
        let now = clock.now()
        let thisMinute = (now.timeIntervalSince1970 / 60).rounded(.down) * 60
        let first = Date(timeIntervalSince1970: thisMinute - Double(Self.throughputMinutes - 1) * 60)
        async let counts = statistics.countsByStatus()
        async let finished = statistics.finishedPerMinute(since: first)
        async let backlog = outbox.backlog(now: now)
        let seen = try? await workers.seen(since: now.addingTimeInterval(-Self.workerFreshnessSeconds))
        var minutes: [(minute: Date, counts: [JobStatus: Int])] = (0..<Self.throughputMinutes).map {
            (Date(timeIntervalSince1970: first.timeIntervalSince1970 + Double($0) * 60), [:])
        }
        for entry in try await finished {
            let index = Int(((entry.minute.timeIntervalSince1970 - first.timeIntervalSince1970) / 60).rounded())
            if minutes.indices.contains(index) { minutes[index].counts[entry.status, default: 0] += entry.count }
        }
        let (backlogCount, oldest) = try await backlog
        return Overview(
            generatedAt: now, jobsByStatus: try await counts, finishedPerMinute: minutes,
            outboxBacklog: backlogCount, outboxOldestAgeSeconds: oldest, workers: seen)
    }
}
