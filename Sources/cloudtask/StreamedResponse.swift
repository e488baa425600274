import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One response read as it arrives: `URLSession.data(for:)` waits for the end, which a
/// live stream only reaches when the job is final. The delegate hands over the status
/// once, then each chunk of the body.
final class StreamedResponse: NSObject, URLSessionDataDelegate, Sendable {
    let status: AsyncThrowingStream<Int, any Error>
    let body: AsyncThrowingStream<Data, any Error>
    private let statusContinuation: AsyncThrowingStream<Int, any Error>.Continuation
    private let bodyContinuation: AsyncThrowingStream<Data, any Error>.Continuation

    override init() {
        (status, statusContinuation) = AsyncThrowingStream.makeStream(of: Int.self)
        (body, bodyContinuation) = AsyncThrowingStream.makeStream(of: Data.self)
        super.init()
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
    ) {
        statusContinuation.yield((response as? HTTPURLResponse)?.statusCode ?? 0)
        statusContinuation.finish()
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        bodyContinuation.yield(data)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        statusContinuation.finish(throwing: error)
        if let error { bodyContinuation.finish(throwing: error) } else { bodyContinuation.finish() }
        session.finishTasksAndInvalidate()
    }
}

/// Splits a `text/event-stream` body into events as its bytes arrive.
struct EventStreamParser {
    struct Event {
        var id: String?
        var name = "message"
        var data: [String] = []
    }

    private var buffer: [UInt8] = []
    private var current = Event()

    /// The events completed by `bytes`.
    mutating func feed(_ bytes: Data) -> [Event] {
        buffer.append(contentsOf: bytes)
        var events: [Event] = []
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            var line = String(decoding: buffer[..<newline], as: UTF8.self)
            buffer.removeSubrange(...newline)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty {
                if !current.data.isEmpty { events.append(current) }
                current = Event()
                continue
            }
            if line.hasPrefix(":") { continue }  // a heartbeat
            let (field, value) =
                line.firstIndex(of: ":").map { index -> (String, String) in
                    var value = String(line[line.index(after: index)...])
                    if value.hasPrefix(" ") { value.removeFirst() }
                    return (String(line[..<index]), value)
                } ?? (line, "")
            switch field {
            case "id": current.id = value
            case "event": current.name = value
            case "data": current.data.append(value)
            default: break
            }
        }
        return events
    }
}
