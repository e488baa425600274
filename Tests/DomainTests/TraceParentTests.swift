import Domain
import Foundation
import Testing

/// The W3C `traceparent` value: parsed strictly, since it arrives from queues and
/// storage; anything that is not one is no trace context.
@Suite("Trace context")
struct TraceParentTests {
    static let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test("a valid traceparent round-trips, with its sampled flag")
    func valid() throws {
        let parsed = try #require(TraceParent(header: Self.valid))
        #expect(parsed.traceID == "4bf92f3577b34da6a3ce929d0e0e4736" && parsed.spanID == "00f067aa0ba902b7")
        #expect(parsed.sampled && parsed.header == Self.valid)
        let unsampled = try #require(TraceParent(header: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"))
        #expect(!unsampled.sampled)
        // Other flag bits are kept out of the decision: only bit 0 means sampled.
        #expect(TraceParent(header: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03")?.sampled == true)
        #expect(TraceParent(header: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02")?.sampled == false)
    }

    @Test(
        "anything else is refused: other versions, upper case, zero ids, wrong lengths, separators, non-hex, extra bytes",
        arguments: [
            "", "00", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
            "00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\u{0}",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b\u{e9}1",
        ])
    func refused(_ text: String) {
        #expect(TraceParent(header: text) == nil)
    }

    @Test("decoding checks the same rules: a stored value that is not a traceparent fails to decode")
    func codable() throws {
        let parsed = try #require(TraceParent(header: Self.valid))
        let data = try JSONEncoder().encode([parsed])
        #expect(String(decoding: data, as: UTF8.self) == "[\"\(Self.valid)\"]")
        #expect(try JSONDecoder().decode([TraceParent].self, from: data) == [parsed])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([TraceParent].self, from: Data("[\"00-zz\"]".utf8)) }
    }

    @Test("a job's dispatches carry its trace; a dispatch passed on continues the span that passed it")
    func dispatches() throws {
        let trace = try #require(TraceParent(header: Self.valid))
        let job = Job(
            id: JobID(UUID()), ownerID: UserID(UUID()), request: try JobRequest(command: "echo"), idempotencyKey: nil,
            now: Date(), trace: trace)
        let dispatch = JobDispatch(eventID: UUID(), job: job, occurredAt: Date())
        #expect(dispatch.trace == trace)
        let relay = try #require(TraceParent(traceID: trace.traceID, spanID: "1111111111111111", sampled: true))
        #expect(dispatch.continuing(relay).trace == relay)
        #expect(dispatch.continuing(nil).trace == trace)
    }
}
