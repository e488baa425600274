public import Application
public import Ports
public import ServiceLifecycle

/// The API process's one shared subscription to job changes, fanned out by the hub to
/// every live view; and the hub's clock, whose beats become heartbeats (and periodic
/// re-reads) in every stream.
public struct JobChangeFanOutService: Service {
    let hub: JobChangeHub
    let feed: FeedHub
    let heartbeat: Duration

    public init(hub: JobChangeHub, source: any JobChangeSource, jobs: any JobRepository, heartbeat: Duration) {
        self.hub = hub
        self.feed = FeedHub(hub: hub, source: source, jobs: jobs)
        self.heartbeat = heartbeat
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { [feed] in await feed() }
            group.addTask { [hub, heartbeat] in await hub.runTicks(every: heartbeat) }
            // Streams end at shutdown, so that the server's drain is not held up by them.
            try? await gracefulShutdown()
            hub.finishAll()
            group.cancelAll()
        }
    }
}
