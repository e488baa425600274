public import Domain

/// Stop markers: set when a job is stopped, read by the worker before and while it
/// runs the job (a stop that raced the job's start is not missed).
public protocol StopSignal: Sendable {
    func mark(_ job: JobID, ttlSeconds: Int) async throws
    func isMarked(_ job: JobID) async throws -> Bool
}
