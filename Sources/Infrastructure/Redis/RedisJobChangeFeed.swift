public import Domain
import Foundation
public import Logging
public import Ports
import Synchronization

/// Job changes over Redis pub/sub: writers `PUBLISH` each committed change on one
/// channel; each API process holds one subscription, on a thread of its own, and hands
/// what arrives to its `JobChangeHub`.
///
/// Only a notice travels (`JobChangeMessage`): which job, whose, its version, what
/// changed. A view that needs the job itself reads it from the store, once per change
/// per process (`JobChangeFanOutService`).
///
/// Why pub/sub and not a stream: the store is the record and every event id is a
/// position in it (`JobFeedPosition`), so a feed only has to say "look again". What
/// pub/sub drops while a subscriber reconnects is caught up by re-reading PostgreSQL
/// (`subscribed` asks views to), and a Redis outage delays live views without losing
/// anything. Streams would add a second copy of history, bounded and trimmed, that
/// could disagree with it.
public struct RedisJobChangeFeed: JobChangePublisher, JobChangeSource {
    let url: RedisURL
    let channel: String
    let logger: Logger
    /// Publishing returns at once; the queue sends in the background, in order.
    private let queue: PublishQueue<JobChange>

    public init(client: RedisClient, url: RedisURL, prefix: String, logger: Logger) {
        let channel = RedisKeys(prefix: prefix).jobChanges
        self.url = url
        self.channel = channel
        self.logger = logger
        queue = PublishQueue(
            onDrop: { count in
                logger.warning("job change announcements dropped: Redis is too slow or down", metadata: ["count": "\(count)"])
            },
            send: { changes in
                let commands = changes.map { ["PUBLISH", channel, JobChangeMessage.encode($0)] }
                do {
                    _ = try await client.pipeline(commands)
                } catch {
                    logger.debug("job changes not announced: Redis unavailable", metadata: ["count": "\(changes.count)"])
                }
            })
    }

    public func publish(_ changes: [JobChange]) async {
        queue.enqueue(changes)
    }

    public func run(
        subscribed: @escaping @Sendable () -> Void, wants: @escaping @Sendable (JobID, UserID) -> Bool,
        deliver: @escaping @Sendable (JobChange) -> Void
    ) async {
        let stop = StopFlag()
        let loop = SubscriptionLoop(
            url: url, channel: channel, stop: stop, logger: logger, subscribed: subscribed, wants: wants,
            deliver: deliver)
        await withTaskCancellationHandler {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                // A thread of its own: the loop blocks in poll(2), never on a shared pool.
                let thread = Thread {
                    loop.run()
                    done.resume()
                }
                thread.name = "cloudtask-job-changes"
                thread.start()
            }
        } onCancel: {
            stop.set()
        }
    }
}

/// A message on the channel: `<job id> <owner id> <version> <job changed><output changed>`,
/// e.g. `3f… 9a… 4 10`. A notice, not the job: nothing to encode as JSON per change,
/// and a process with no view of the job drops it after reading two ids.
enum JobChangeMessage {
    static func encode(_ change: JobChange) -> String {
        "\(change.jobID) \(change.ownerID) \(change.version) \(change.jobChanged ? 1 : 0)\(change.outputChanged ? 1 : 0)"
    }

    static func decode(_ payload: [UInt8]) -> JobChange? {
        let fields = payload.split(separator: UInt8(ascii: " "))
        guard fields.count == 4, fields[3].count == 2,
            let job = UUID(uuidString: String(decoding: fields[0], as: UTF8.self)),
            let owner = UUID(uuidString: String(decoding: fields[1], as: UTF8.self)),
            let version = Int(String(decoding: fields[2], as: UTF8.self))
        else { return nil }
        let flags = Array(fields[3])
        guard flags.allSatisfy({ $0 == UInt8(ascii: "0") || $0 == UInt8(ascii: "1") }) else { return nil }
        return JobChange(
            jobID: JobID(job), ownerID: UserID(owner), version: version,
            jobChanged: flags[0] == UInt8(ascii: "1"), outputChanged: flags[1] == UInt8(ascii: "1"))
    }
}

/// Set once, read by the subscription thread between waits.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// The subscription thread's work: connect, subscribe, read pushes, reconnect with
/// backoff when the connection breaks, and check the connection with a PING when idle.
private struct SubscriptionLoop: Sendable {
    let url: RedisURL
    let channel: String
    let stop: StopFlag
    let logger: Logger
    let subscribed: @Sendable () -> Void
    let wants: @Sendable (JobID, UserID) -> Bool
    let deliver: @Sendable (JobChange) -> Void

    /// How often `stop` is looked at, and after how much silence a PING goes out.
    static let waitMilliseconds: Int32 = 250
    static let idleBeforePing: Double = 10
    static let pingAnswerWithin: Double = 5

    func run() {
        var backoff = 0.1
        while !stop.isSet {
            do {
                try session(onSubscribed: { backoff = 0.1 })
            } catch {
                logger.warning("job change subscription lost; reconnecting", metadata: ["error": "\(error)"])
            }
            let until = Date().addingTimeInterval(backoff)
            while !stop.isSet && Date() < until { usleep(50_000) }
            backoff = min(backoff * 2, 5)
        }
    }

    private func session(onSubscribed: () -> Void) throws(RedisError) {
        let connection = try RedisConnection(url: url, connectTimeout: .seconds(1), commandTimeout: .seconds(5), generation: 0)
        try connection.send([["SUBSCRIBE", channel]])
        var lastHeard = Date()
        var pingSentAt: Date?
        while !stop.isSet {
            guard let reply = try connection.nextPush(timeoutMilliseconds: Self.waitMilliseconds) else {
                let now = Date()
                if let sent = pingSentAt {
                    if now.timeIntervalSince(sent) > Self.pingAnswerWithin { throw .connection("no answer to PING") }
                } else if now.timeIntervalSince(lastHeard) > Self.idleBeforePing {
                    try connection.send([["PING"]])
                    pingSentAt = now
                }
                continue
            }
            lastHeard = Date()
            pingSentAt = nil
            guard let parts = reply.elements, let kind = parts.first?.text else { continue }
            switch kind {
            case "message" where parts.count == 3:
                guard case .bulk(let payload) = parts[2], let change = JobChangeMessage.decode(payload) else {
                    logger.warning("ignored a malformed job change message")
                    continue
                }
                // Most changes concern no view open here: they go no further.
                if wants(change.jobID, change.ownerID) { deliver(change) }
            case "subscribe":
                onSubscribed()
                subscribed()
            default:
                continue  // "pong", and anything else a subscribed connection may hear
            }
        }
    }
}
