import NIOCore

/// The `text/event-stream` wire format: `id`, `event` and one `data` line per event,
/// a blank line after each, and comment lines (`: …`) as heartbeats.
enum ServerSentEvents {
    /// One event. `data` must be a single line (JSON from `JSONWriter` is).
    static func event(id: String?, name: String, data: ByteBuffer) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(data.readableBytes + 64)
        if let id { buffer.writeString("id: \(id)\n") }
        buffer.writeString("event: \(name)\ndata: ")
        buffer.writeImmutableBuffer(data)
        buffer.writeString("\n\n")
        return buffer
    }

    /// Asks clients to wait this long before reconnecting, and opens the stream at once
    /// (some proxies hold a response back until its first bytes).
    static func opening(retryMilliseconds: Int) -> ByteBuffer {
        ByteBuffer(string: "retry: \(retryMilliseconds)\n\n")
    }

    static let heartbeat = ByteBuffer(string: ": heartbeat\n\n")
}
