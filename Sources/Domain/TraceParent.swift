/// A W3C trace context (`traceparent`, https://www.w3.org/TR/trace-context/): which
/// trace a piece of work belongs to and which span caused it. A job keeps the one of
/// the request that made it, so that every process that touches the job records its
/// spans in that request's trace (docs/tracing.md).
///
/// It arrives from clients and from queue headers, so it is parsed strictly: version
/// `00`, lower-case hex, ids not all zero, exactly 55 bytes. Anything else is no
/// context (a new trace), never an error that stops the work.
public struct TraceParent: Hashable, Sendable, Codable, CustomStringConvertible {
    /// 32 lower-case hex digits.
    public let traceID: String
    /// 16 lower-case hex digits: the span that caused the work.
    public let spanID: String
    /// Whether the trace is recorded (the caller's sampling decision).
    public let sampled: Bool

    public init?(traceID: String, spanID: String, sampled: Bool) {
        guard Self.isID(traceID.utf8, length: 32), Self.isID(spanID.utf8, length: 16) else { return nil }
        self.traceID = traceID
        self.spanID = spanID
        self.sampled = sampled
    }

    /// Parses a `traceparent` header value; nil for anything not strictly version 00.
    public init?(header: some StringProtocol) {
        let bytes = Array(header.utf8)
        guard bytes.count == 55, bytes[0] == UInt8(ascii: "0"), bytes[1] == UInt8(ascii: "0"),
            bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"), bytes[52] == UInt8(ascii: "-"),
            Self.isHex(bytes[53...54])
        else { return nil }
        let flags = Self.hexValue(bytes[53]) << 4 | Self.hexValue(bytes[54])
        self.init(
            traceID: String(decoding: bytes[3..<35], as: UTF8.self),
            spanID: String(decoding: bytes[36..<52], as: UTF8.self),
            sampled: flags & 1 == 1)
    }

    /// The `traceparent` header value.
    public var header: String { "00-\(traceID)-\(spanID)-\(sampled ? "01" : "00")" }
    public var description: String { header }

    // Decoding goes through the same checks: a stored or queued value is input too.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = TraceParent(header: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a traceparent"))
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(header)
    }

    private static func isID(_ bytes: some Collection<UInt8>, length: Int) -> Bool {
        bytes.count == length && isHex(bytes) && bytes.contains { $0 != UInt8(ascii: "0") }
    }

    private static func isHex(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.allSatisfy {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8 {
        byte <= UInt8(ascii: "9") ? byte - UInt8(ascii: "0") : byte - UInt8(ascii: "a") + 10
    }
}
