import Application
import Domain
import Foundation
import Infrastructure
import Ports
import Testing

/// The hand-written wire codec: what it writes is the JSON of docs/messages.md (as
/// Foundation reads it back), and what it reads round-trips every kind of message.
@Suite("Wire codec")
struct JobMessageCodecTests {
    static let time = Date(timeIntervalSince1970: 1_800_000_000.25)
    static let job = JobID(UUID())

    static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    static func events() -> [JobEvent] {
        let awkward = "quote \" backslash \\ newline \n tab \t bell \u{07} é 😀 / slash"
        let kinds: [JobEvent.Kind] = [
            .started,
            .output(OutputChunk(stdout: awkward, stderr: "err", stdoutOffset: 12, stderrOffset: 3, truncated: false)),
            .finished(.succeeded, output: OutputChunk(stdout: "done\n", stdoutOffset: 4)),
            .finished(.failed(exitCode: 3, failure: JobFailure(code: .nonzeroExit, message: awkward)), output: OutputChunk()),
            .finished(.failed(exitCode: nil, failure: JobFailure(code: .timeout, message: "1 s")), output: OutputChunk()),
            .finished(.cancelled(exitCode: nil), output: OutputChunk(stderr: "x", stderrOffset: 9, truncated: true)),
        ]
        let folded = JobEvent(
            eventID: UUID(), jobID: job, attempt: 2, workerID: "w-1", occurredAt: time,
            kind: .finished(.succeeded, output: OutputChunk()),
            startedAt: time.addingTimeInterval(-0.125),
            usage: ResourceUsage(
                cpuUserSeconds: 0.123456, cpuSystemSeconds: 1e-05, memoryPeakBytes: 1 << 30, tasksPeak: 12, ioReadBytes: 4096,
                ioWriteBytes: 0))
        let measured = JobEvent(
            eventID: UUID(), jobID: job, attempt: 2, workerID: "w-1", occurredAt: time, kind: .output(OutputChunk()),
            usage: ResourceUsage(cpuUserSeconds: 0.5, memoryPeakBytes: 1 << 20, tasksPeak: 3))
        return kinds.map { JobEvent(eventID: UUID(), jobID: job, attempt: 2, workerID: "w-1", occurredAt: time, kind: $0) } + [
            folded, measured,
        ]
    }

    @Test("every kind of report round-trips, and Foundation reads the same fields from the bytes")
    func events() throws {
        for event in Self.events() {
            let bytes = JobMessageCodec.encode(event)
            #expect(try JobMessageCodec.decodeEvent(bytes) == event)
            let json = try Self.object(bytes)
            #expect(json["type"] as? String == JobMessageCodec.type(of: event) && json["version"] as? Int == 1)
            #expect(json["event_id"] as? String == event.eventID.uuidString.lowercased())
            #expect(json["job_id"] as? String == Self.job.description && json["worker_id"] as? String == "w-1")
            #expect(json["occurred_at"] as? String == "2027-01-15T08:00:00.250Z" && json["attempt"] as? Int == 2)
            if case .output(let chunk) = event.kind {
                let output = try #require(json["output"] as? [String: Any])
                #expect(output["stdout"] as? String == chunk.stdout && output["stdout_offset"] as? Int == chunk.stdoutOffset)
            }
            if case .finished(.failed(_, let failure), _) = event.kind {
                #expect((json["failure"] as? [String: Any])?["message"] as? String == failure.message)
            }
        }
    }

    @Test("keys are written sorted, absent fields left out, no slash escaped")
    func layout() throws {
        let dispatch = JobDispatch(
            eventID: UUID(), jobID: Self.job, attempt: 1, command: "echo", args: ["a/b", ""], priority: 9, timeoutSeconds: 30,
            occurredAt: Self.time)
        let text = String(decoding: JobMessageCodec.encode(dispatch), as: UTF8.self)
        let keys = try Self.object(Array(text.utf8)).keys.sorted()
        #expect(
            keys == [
                "args", "attempt", "command", "event_id", "job_id", "occurred_at", "priority", "timeout_seconds", "type",
                "version",
            ])
        let positions = keys.map { text.range(of: "\"\($0)\":")!.lowerBound }
        #expect(positions == positions.sorted())
        #expect(text.contains(#""args":["a/b",""]"#))
        #expect(try JobMessageCodec.decodeDispatch(Array(text.utf8)) == dispatch)
        let stop = StopRequest(eventID: UUID(), jobID: Self.job, occurredAt: Self.time)
        #expect(try JobMessageCodec.decodeOutbox(JobMessageCodec.encode(.stop(stop))) == .stop(stop))
        #expect(try JobMessageCodec.decodeOutbox(JobMessageCodec.encode(.dispatch(dispatch))) == .dispatch(dispatch))
    }

    @Test("a dispatch carries its limits (in order with the other keys); limits out of any range are refused")
    func dispatchLimits() throws {
        let limits = RunLimits(memoryBytes: 256 << 20, cpu: 0.25, tasks: 16)
        let dispatch = JobDispatch(
            eventID: UUID(), jobID: Self.job, attempt: 1, command: "echo", args: [], priority: 0, timeoutSeconds: 30,
            occurredAt: Self.time, limits: limits)
        let text = String(decoding: JobMessageCodec.encode(dispatch), as: UTF8.self)
        #expect(text.contains(#""limits":{"cpu":0.25,"memory_bytes":268435456,"tasks":16}"#))
        #expect(try JobMessageCodec.decodeDispatch(Array(text.utf8)) == dispatch)
        for bad in [#"{"cpu":0,"memory_bytes":268435456,"tasks":16}"#, #"{"cpu":1,"memory_bytes":1,"tasks":16}"#, #"{"cpu":1}"#] {
            let tampered = text.replacingOccurrences(of: #"{"cpu":0.25,"memory_bytes":268435456,"tasks":16}"#, with: bad)
            #expect(throws: JobMessageCodec.DecodingError.self) { try JobMessageCodec.decodeDispatch(Array(tampered.utf8)) }
        }
    }

    @Test(
        "a dispatch carries its inputs (object key and path); a key not of an uploaded file's shape, a path the rules refuse, or too many are refused"
    )
    func inputs() throws {
        let key = InputRules.objectKey(owner: UserID(UUID()), file: UUID())
        let dispatch = JobDispatch(
            eventID: UUID(), jobID: Self.job, attempt: 1, command: "cat", args: [], priority: 0, timeoutSeconds: 30,
            occurredAt: Self.time, inputs: [InputPlacement(key: key, path: "in/a.csv")])
        let text = String(decoding: JobMessageCodec.encode(dispatch), as: UTF8.self)
        #expect(text.contains(#""inputs":[{"key":"\#(key)","path":"in/a.csv"}],"job_id""#))
        #expect(try JobMessageCodec.decodeDispatch(Array(text.utf8)) == dispatch)
        let entry = #"{"key":"\#(key)","path":"in/a.csv"}"#
        for (from, to) in [
            (key, "files/../etc"), (key, "jobs/x/y"), ("in/a.csv", "../a.csv"), ("in/a.csv", "/etc/shadow"),
            (entry, entry + "," + entry), (entry, Array(repeating: entry, count: 17).joined(separator: ",")),
            (entry, #"{"key":5,"path":"a"}"#), (#"[\#(entry)]"#, #""x""#),
        ] {
            #expect(throws: JobMessageCodec.DecodingError.self, "\(to)") {
                try JobMessageCodec.decodeDispatch(Array(text.replacingOccurrences(of: from, with: to).utf8))
            }
        }
    }

    @Test(
        "a dispatch carries the paths to keep and a finish each one's record; a path the rules refuse, a bad digest or a record with neither size nor error is refused"
    )
    func artifacts() throws {
        let dispatch = JobDispatch(
            eventID: UUID(), jobID: Self.job, attempt: 1, command: "echo", args: [], priority: 0, timeoutSeconds: 30,
            occurredAt: Self.time, artifacts: ["out/r.txt", "b"])
        let text = String(decoding: JobMessageCodec.encode(dispatch), as: UTF8.self)
        #expect(text.contains(#""args":[],"artifacts":["out/r.txt","b"],"attempt":1"#))
        #expect(try JobMessageCodec.decodeDispatch(Array(text.utf8)) == dispatch)
        #expect(throws: JobMessageCodec.DecodingError.self) {
            try JobMessageCodec.decodeDispatch(Array(text.replacingOccurrences(of: "out/r.txt", with: "../r.txt").utf8))
        }
        let digest = String(repeating: "ab", count: 32)
        let finish = JobEvent(
            eventID: UUID(), jobID: Self.job, attempt: 1, workerID: "w-1", occurredAt: Self.time,
            kind: .finished(.succeeded, output: OutputChunk()),
            artifacts: [
                .kept("out/r.txt", attempt: 1, size: 6, sha256: digest), .missing("b", attempt: 1, because: "was not found"),
            ])
        let encoded = String(decoding: JobMessageCodec.encode(finish), as: UTF8.self)
        #expect(try JobMessageCodec.decodeEvent(Array(encoded.utf8)) == finish)
        #expect(try JobMessageCodec.decodeReports(JobMessageCodec.encodeReports([finish])).first?.get() == finish)
        for (from, to) in [
            (digest, "ABCD"), (#""name":"b""#, #""name":"/etc/b""#), (#""error":"was not found","#, ""),
            (#""size":6"#, #""size":-6"#),
        ] {
            #expect(throws: JobMessageCodec.DecodingError.self, "\(to)") {
                try JobMessageCodec.decodeEvent(Array(encoded.replacingOccurrences(of: from, with: to).utf8))
            }
        }
        // More records than a job may declare: a worker that sends them is not believed.
        let flood = JobEvent(
            eventID: UUID(), jobID: Self.job, attempt: 1, workerID: "w-1", occurredAt: Self.time,
            kind: .finished(.succeeded, output: OutputChunk()),
            artifacts: (0...ArtifactRules.maxCount).map { .missing("f\($0)", attempt: 1, because: "was not found") })
        #expect(throws: JobMessageCodec.DecodingError.self) { try JobMessageCodec.decodeEvent(JobMessageCodec.encode(flood)) }
        let declaredTooMany = JobDispatch(
            eventID: UUID(), jobID: Self.job, attempt: 1, command: "echo", args: [], priority: 0, timeoutSeconds: 30,
            occurredAt: Self.time, artifacts: (0...ArtifactRules.maxCount).map { "f\($0)" })
        #expect(throws: JobMessageCodec.DecodingError.self) {
            try JobMessageCodec.decodeDispatch(JobMessageCodec.encode(declaredTooMany))
        }
        // A reason with control characters is cleaned and cut, not refused.
        let noisy = encoded.replacingOccurrences(
            of: "was not found", with: "bad\\u0000" + String(repeating: "é", count: 900))
        let reason = try #require(try JobMessageCodec.decodeEvent(Array(noisy.utf8)).artifacts.last?.error)
        #expect(reason.utf8.count <= 1024 && !reason.contains("\u{0}"))
    }

    @Test(
        "a field of the wrong kind, a fraction where a whole number belongs, or a missing field is refused; null is absent; unknown fields are ignored"
    )
    func shapes() throws {
        let started = Self.events()[0]
        let base = String(decoding: JobMessageCodec.encode(started), as: UTF8.self)
        func with(_ replace: String, _ by: String) -> [UInt8] { Array(base.replacingOccurrences(of: replace, with: by).utf8) }
        #expect(throws: JobMessageCodec.DecodingError.self) {
            try JobMessageCodec.decodeEvent(with(#""attempt":2"#, #""attempt":2.0"#))
        }
        #expect(throws: JobMessageCodec.DecodingError.self) {
            try JobMessageCodec.decodeEvent(with(#""attempt":2"#, #""attempt":"2""#))
        }
        #expect(throws: JobMessageCodec.DecodingError.self) {
            try JobMessageCodec.decodeEvent(with(#""worker_id":"w-1""#, #""worker_id":null"#))
        }
        #expect(throws: JobMessageCodec.DecodingError.self) {
            try JobMessageCodec.decodeEvent(with(#""version":1"#, #""version":2"#))
        }
        #expect(throws: JobMessageCodec.DecodingError.self) { try JobMessageCodec.decodeEvent(with(#""type":"#, #""kind":"#)) }
        #expect(
            try JobMessageCodec.decodeEvent(with(#""version":1"#, #""version":1,"exit_code":null,"later":{"x":[1,2]}"#))
                == started)
        // An unknown field is still checked (strict JSON), only not kept.
        #expect(throws: JobMessageCodec.DecodingError.self) {
            try JobMessageCodec.decodeEvent(with(#""version":1"#, #""version":1,"later":[1,]"#))
        }
    }

    @Test("strict parsing reads escapes as the characters they stand for")
    func parsing() throws {
        let value = try StrictJSON.parse(Array(#"{"a":"x\n\t\u00e9\ud83d\ude00\/","n":-12,"f":1.5,"b":[true,null]}"#.utf8))
        #expect(value["a"]?.string == "x\n\té😀/")
        #expect(value["n"]?.int == -12 && value["f"]?.int == nil && value["f"] == .number("1.5"))
        #expect(value["b"]?.array == [.bool(true), .null])
        let kept = try StrictJSON.parse(Array(#"{"a":1,"big":[[1],[2]],"c":{"d":2}}"#.utf8), keeping: ["a", "c"])
        #expect(kept == .object(["a": .number("1"), "c": .object(["d": .number("2")])]))
        // Keys are compared as the text they stand for: an escaped twin is a repeat.
        #expect(throws: StrictJSON.Problem.self) { try StrictJSON.parse(Array(#"{"a\n":1,"a\u000a":2}"#.utf8)) }
    }

    @Test("a trace context rides as `traceparent`; one that is not valid is dropped and the message is still read")
    func traceContext() throws {
        let trace = try #require(TraceParent(header: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        let dispatch = JobDispatch(
            eventID: UUID(), jobID: Self.job, attempt: 1, command: "echo", args: [], priority: 0, timeoutSeconds: 5,
            occurredAt: Self.time, trace: trace)
        let bytes = JobMessageCodec.encode(dispatch)
        #expect(try Self.object(bytes)["traceparent"] as? String == trace.header)
        #expect(try JobMessageCodec.decodeDispatch(bytes) == dispatch)
        #expect(try JobMessageCodec.decodeOutbox(JobMessageCodec.encode(.dispatch(dispatch))) == .dispatch(dispatch))
        let event = JobEvent(
            eventID: UUID(), jobID: Self.job, attempt: 1, workerID: "w-1", occurredAt: Self.time, kind: .started, trace: trace)
        #expect(try JobMessageCodec.decodeEvent(JobMessageCodec.encode(event)) == event)
        let untraced = JobEvent(
            eventID: event.eventID, jobID: Self.job, attempt: 1, workerID: "w-1", occurredAt: Self.time, kind: .started)
        let text = String(decoding: JobMessageCodec.encode(event), as: UTF8.self)
        for hostile in [
            #""00-zz""#, #""00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01""#, "12", "null", "[1]",
            "\"" + String(repeating: "a", count: 100_000) + "\"",
        ] {
            let bytes = Array(text.replacingOccurrences(of: "\"\(trace.header)\"", with: hostile).utf8)
            #expect(try JobMessageCodec.decodeEvent(bytes) == untraced, "\(hostile.prefix(40))")
        }
    }
}
