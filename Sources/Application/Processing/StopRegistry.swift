public import Domain
public import Foundation

/// The stop requests a worker has heard on the control broadcast, kept long enough to
/// outlive any job, so a dispatch that arrives after its stop is still refused.
public actor StopRegistry {
    private var requested: [JobID: Date] = [:]
    private let retentionSeconds: Double

    public init(retentionSeconds: Double = 7200) { self.retentionSeconds = retentionSeconds }

    public func record(_ job: JobID, at now: Date) {
        requested[job] = now
        if requested.count > 10_000 {
            requested = requested.filter { now.timeIntervalSince($0.value) < retentionSeconds }
        }
    }

    public func contains(_ job: JobID) -> Bool { requested[job] != nil }
}
