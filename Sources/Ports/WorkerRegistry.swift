import Domain
public import Foundation

/// What a worker process says about itself every few seconds.
public struct WorkerHeartbeat: Hashable, Sendable, Codable {
    public let workerID: String
    public let host: String
    public let roles: [String]
    public let concurrency: Int
    /// Jobs it is running now.
    public let running: Int
    public let startedAt: Date
    public let seenAt: Date

    public init(workerID: String, host: String, roles: [String], concurrency: Int, running: Int, startedAt: Date, seenAt: Date) {
        self.workerID = workerID
        self.host = host
        self.roles = roles
        self.concurrency = concurrency
        self.running = running
        self.startedAt = startedAt
        self.seenAt = seenAt
    }
}

/// Where workers report that they are alive, for the admin overview.
public protocol WorkerRegistry: Sendable {
    /// Records (or refreshes) a worker's heartbeat.
    func beat(_ heartbeat: WorkerHeartbeat) async throws
    /// Workers whose last heartbeat is at or after `since`, newest first.
    func seen(since: Date) async throws -> [WorkerHeartbeat]
}
