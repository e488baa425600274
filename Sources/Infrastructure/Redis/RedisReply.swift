/// A Redis reply, copied out of hiredis's memory so it outlives the call.
public enum RedisReply: Sendable, Equatable {
    case bulk([UInt8])
    case status(String)
    case integer(Int64)
    case array([RedisReply])
    case null
    /// An error reply (`-ERR …`, `-NOSCRIPT …`): the server answered, the connection is fine.
    case error(String)

    var isNotError: Bool {
        if case .error = self { return false }
        return true
    }

    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    public var text: String? {
        switch self {
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        default: nil
        }
    }

    public var elements: [RedisReply]? {
        if case .array(let elements) = self { return elements }
        return nil
    }
}

/// What can go wrong talking to Redis. Adapters turn every case into
/// `PortError.unavailable`; the text is for logs only.
public enum RedisError: Error, Sendable, CustomStringConvertible {
    /// Connecting failed, or the connection broke or timed out (it is discarded).
    case connection(String)
    /// The server answered with an error, or with a reply of an unexpected shape.
    case reply(String)
    /// A recent failure put the client in backoff: it fails fast until the next probe.
    case backingOff

    public var description: String {
        switch self {
        case .connection(let reason): "connection: \(reason)"
        case .reply(let reason): "reply: \(reason)"
        case .backingOff: "in backoff after a failure"
        }
    }
}
