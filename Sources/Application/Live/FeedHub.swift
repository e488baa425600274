import Domain
public import Ports

/// Feeds a process's hub from its shared subscription. Changes from another process
/// arrive as notices without the job; when a list view here needs the job, it is read
/// from the store once — not once per watcher — before the hub fans it out. One change
/// at a time, in the order received.
public struct FeedHub: Sendable {
    let hub: JobChangeHub
    let source: any JobChangeSource
    let jobs: any JobRepository

    public init(hub: JobChangeHub, source: any JobChangeSource, jobs: any JobRepository) {
        self.hub = hub
        self.source = source
        self.jobs = jobs
    }

    /// Runs until cancelled.
    public func callAsFunction() async {
        let (changes, continuation) = AsyncStream.makeStream(of: JobChange.self, bufferingPolicy: .bufferingNewest(10_000))
        await withDiscardingTaskGroup { group in
            group.addTask { [hub, source] in
                await source.run(
                    subscribed: { hub.resubscribed() }, wants: { hub.wants(job: $0, owner: $1) },
                    deliver: { continuation.yield($0) })
                continuation.finish()
            }
            for await change in changes {
                hub.deliver(await attachingJob(to: change))
            }
        }
    }

    private func attachingJob(to change: JobChange) async -> JobChange {
        guard change.job == nil, change.jobChanged, hub.watchesJobs(of: change.ownerID),
            let job = try? await jobs.job(id: change.jobID)
        else { return change }
        // The store may already hold a newer version: list views show the latest state.
        return JobChange(job: job, jobChanged: true, outputChanged: change.outputChanged)
    }
}
