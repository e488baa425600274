public import Application
public import Ports
public import ServiceLifecycle

/// The API process's one shared subscription to job changes, fanned out by the hub to
/// every live view; and the hub's clock, whose beats become heartbeats (and periodic
/// re-reads) in every stream.
public struct JobChangeFanOutService: Service {
    let hub: JobChangeHub
    let source: any JobChangeSource
    let heartbeat: Duration

    public init(hub: JobChangeHub, source: any JobChangeSource, heartbeat: Duration) {
        self.hub = hub
        self.source = source
        self.heartbeat = heartbeat
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { [hub, source] in
                await source.run(subscribed: { hub.resubscribed() }, deliver: { hub.deliver($0) })
            }
            group.addTask { [hub, heartbeat] in await hub.runTicks(every: heartbeat) }
            // Streams end at shutdown, so that the server's drain is not held up by them.
            try? await gracefulShutdown()
            hub.finishAll()
            group.cancelAll()
        }
    }
}
