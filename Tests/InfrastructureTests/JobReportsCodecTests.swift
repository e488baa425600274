import Application
import Domain
import Foundation
import Testing

@testable import Infrastructure

/// `job.reports`: many reports in one message, each part decoded and bounded on its own.
@Suite("Wire codec: job.reports")
struct JobReportsCodecTests {
    static func report(_ n: Int, output: String = "") -> JobEvent {
        JobEvent(
            eventID: UUID(), jobID: JobID(UUID()), attempt: 1, workerID: "w-\(n)", occurredAt: JobMessageCodecTests.time,
            kind: output.isEmpty ? .started : .output(OutputChunk(stdout: output)))
    }

    @Test("the parts round-trip in order, and each part is the JSON of the single report")
    func roundTrip() throws {
        let events = JobMessageCodecTests.events()
        let bytes = JobMessageCodec.encodeReports(events)
        let decoded = try JobMessageCodec.decodeReports(bytes).map { try $0.get() }
        #expect(decoded == events)
        let json = try JobMessageCodecTests.object(bytes)
        #expect(json["type"] as? String == "job.reports" && json["version"] as? Int == 1)
        let parts = try #require(json["reports"] as? [[String: Any]])
        let singles = try events.map { try JobMessageCodecTests.object(JobMessageCodec.encode($0)) }
        #expect(parts.count == singles.count)
        for (part, single) in zip(parts, singles) { #expect(NSDictionary(dictionary: part) == NSDictionary(dictionary: single)) }
    }

    @Test("a malformed part is an error in its place; the other parts are kept")
    func malformedPart() throws {
        let good = Self.report(1)
        let single = String(decoding: JobMessageCodec.encode(good), as: UTF8.self)
        let parts = [
            single,
            #"{"type":"job.started","version":1,"event_id":"not-a-uuid","job_id":"x","occurred_at":"2027-01-15T08:00:00Z"}"#,
            single.replacingOccurrences(of: #""attempt":1"#, with: #""attempt":0"#),
            "42",
            single,
        ]
        let body = Array(#"{"type":"job.reports","version":1,"reports":[\#(parts.joined(separator: ","))]}"#.utf8)
        let decoded = try JobMessageCodec.decodeReports(body)
        #expect(decoded.count == 5)
        #expect((try? decoded[0].get()) == good && (try? decoded[4].get()) == good)
        for index in 1...3 { #expect((try? decoded[index].get()) == nil) }
    }

    @Test(
        "a message that is not a job.reports as a whole is refused",
        arguments: [
            #"{"type":"job.reports","version":1,"reports":[]}"#,
            #"{"type":"job.reports","version":2,"reports":[{}]}"#,
            #"{"type":"job.started","version":1,"reports":[{}]}"#,
            #"{"type":"job.reports","version":1,"reports":{}}"#,
            #"{"type":"job.reports","version":1}"#,
            #"{"type":"job.reports","version":1,"reports":[{},],}"#,
            "[]",
        ])
    func refused(body: String) {
        #expect(throws: JobMessageCodec.DecodingError.self) { try JobMessageCodec.decodeReports(Array(body.utf8)) }
    }

    @Test("more parts than a message may hold is refused")
    func tooManyParts() {
        let events = (0...JobMessageCodec.maxReportsPerMessage).map { Self.report($0) }
        #expect(throws: JobMessageCodec.DecodingError.self) {
            try JobMessageCodec.decodeReports(JobMessageCodec.encodeReports(events))
        }
    }

    @Test("the coalescer's messages: one report alone as itself, runs cut by part count and by output size, order kept")
    func grouping() throws {
        let exchange = "x.cloudtask.jobs"
        let lone = ReportCoalescer.messages(for: [Self.report(0)], exchange: exchange)
        #expect(lone.count == 1 && lone[0].routingKey == "job.started" && lone[0].type == "job.started")

        let many = (0..<600).map { Self.report($0) }
        let messages = ReportCoalescer.messages(for: many, exchange: exchange)
        #expect(messages.map(\.routingKey) == Array(repeating: "job.reports", count: 3))
        let parts = try messages.flatMap { try JobMessageCodec.decodeReports($0.body).map { try $0.get() } }
        #expect(parts == many)

        let big = String(repeating: "x", count: ReportCoalescer.maxMessageOutputBytes / 2 + 1)
        let large = [Self.report(1, output: big), Self.report(2, output: big), Self.report(3)]
        let split = ReportCoalescer.messages(for: large, exchange: exchange)
        #expect(split.map(\.routingKey) == ["job.output", "job.reports"])
        #expect(try JobMessageCodec.decodeEvent(split[0].body) == large[0])
        #expect(try JobMessageCodec.decodeReports(split[1].body).map { try $0.get() } == Array(large[1...]))
    }

    @Test(
        "a finish whose usage is out of bounds or incomplete is refused",
        arguments: [
            #""usage":{"cpu_user_seconds":-1,"cpu_system_seconds":0,"memory_peak_bytes":0,"tasks_peak":0,"io_read_bytes":0,"io_write_bytes":0}"#,
            #""usage":{"cpu_user_seconds":0,"cpu_system_seconds":0,"memory_peak_bytes":0,"tasks_peak":4294967296,"io_read_bytes":0,"io_write_bytes":0}"#,
            #""usage":{"cpu_user_seconds":0,"cpu_system_seconds":0,"memory_peak_bytes":1.5,"tasks_peak":0,"io_read_bytes":0,"io_write_bytes":0}"#,
            #""usage":{"cpu_user_seconds":0}"#,
            #""usage":"lots""#,
        ])
    func usageBounds(usage: String) throws {
        let finish = JobEvent(
            eventID: UUID(), jobID: JobID(UUID()), attempt: 1, workerID: "w", occurredAt: JobMessageCodecTests.time,
            kind: .finished(.succeeded, output: OutputChunk()))
        let json = String(decoding: JobMessageCodec.encode(finish), as: UTF8.self)
        let tampered = json.replacingOccurrences(of: #""type":"job.finished""#, with: #"\#(usage),"type":"job.finished""#)
        #expect(tampered != json)
        #expect(throws: JobMessageCodec.DecodingError.self) { try JobMessageCodec.decodeEvent(Array(tampered.utf8)) }
    }
}
