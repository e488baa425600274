public import Domain
public import Foundation

/// How many jobs of one final status finished in one minute.
public struct FinishedPerMinute: Hashable, Sendable {
    /// The start of the minute (UTC, whole minute).
    public let minute: Date
    public let status: JobStatus
    public let count: Int

    public init(minute: Date, status: JobStatus, count: Int) {
        self.minute = minute
        self.status = status
        self.count = count
    }
}

/// Aggregates over every user's jobs, for the admin overview.
public protocol JobStatistics: Sendable {
    /// Jobs by status (statuses with no job are left out).
    func countsByStatus() async throws -> [JobStatus: Int]
    /// Jobs finished at or after `since`, by minute and final status, oldest first.
    func finishedPerMinute(since: Date) async throws -> [FinishedPerMinute]
}
