import CRabbitMQ

/// One librabbitmq connection with channel 1 open and the topology declared. Not
/// Sendable on purpose: it is created, used and closed by the one thread that owns it
/// (`AMQPPublisher`'s or `AMQPConsumer`'s), as librabbitmq requires.
final class AMQPConnection {
    let state: OpaquePointer

    /// Connects, logs in, opens the channel and declares the topology.
    init(_ settings: AMQPSettings) throws(AMQPError) {
        let url = settings.url
        var error = AMQPErrorBuffer()
        let state = error.withPointer { pointer, size in
            cloudtask_amqp_connect(
                url.host, Int32(url.port), url.tls ? 1 : 0, settings.caFile, url.vhost, url.username,
                url.password, Int32(settings.heartbeatSeconds), settings.timeoutMillis, pointer, size)
        }
        guard let state else { throw .connection(error.text) }
        self.state = state
        try check { cloudtask_amqp_declare_topology(state, settings.namePrefix, $0, $1) }
    }

    deinit { cloudtask_amqp_close(state) }

    /// Runs a shim call that returns 0 on success; throws its message otherwise.
    func check(_ call: (UnsafeMutablePointer<CChar>, Int) -> Int32) throws(AMQPError) {
        var error = AMQPErrorBuffer()
        let status = error.withPointer(call)
        if status != 0 { throw .connection(error.text) }
    }
}

/// A buffer the shim writes its error text into.
struct AMQPErrorBuffer {
    private var bytes = [CChar](repeating: 0, count: 256)

    mutating func withPointer<T>(_ body: (UnsafeMutablePointer<CChar>, Int) -> T) -> T {
        bytes.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
    }

    var text: String {
        String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// What can go wrong with RabbitMQ; the text is for logs only.
public enum AMQPError: Error, Sendable, CustomStringConvertible {
    /// Not connected, connecting failed, or the connection broke.
    case connection(String)
    /// The broker refused (nack) or returned (unroutable) a message: not stored.
    case refused
    /// The adapter is shut down.
    case closed

    public var description: String {
        switch self {
        case .connection(let reason): "connection: \(reason)"
        case .refused: "the broker refused a message"
        case .closed: "closed"
        }
    }
}
