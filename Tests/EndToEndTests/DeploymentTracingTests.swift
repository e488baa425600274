import APIModels
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A span as the test's OTLP receiver (scripts/otlp/receiver.py) decoded it.
struct ReceivedSpan: Decodable {
    let service: String?
    let traceID: String
    let spanID: String
    let parentSpanID: String
    let name: String
    let statusCode: Int
    let attributes: [String: AttributeValue]

    enum CodingKeys: String, CodingKey {
        case service, name, attributes
        case traceID = "trace_id"
        case spanID = "span_id"
        case parentSpanID = "parent_span_id"
        case statusCode = "status_code"
    }

    /// OTLP's `STATUS_CODE_ERROR`.
    var failed: Bool { statusCode == 2 }

    enum AttributeValue: Decodable, Equatable {
        case int(Int), double(Double), string(String), bool(Bool), other

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Int.self) {
                self = .int(value)
            } else if let value = try? container.decode(Double.self) {
                self = .double(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else {
                self = .other
            }
        }
    }
}

extension Deployment {
    static var otlpURL: String? { environment["CLOUDTASK_TEST_OTLP_URL"] }

    /// The spans of `traceID` the receiver holds, once `ready` says they are all there
    /// (exporters send in batches, so a trace arrives in parts), or what it has after 15 s.
    func spans(of traceID: String, until ready: ([ReceivedSpan]) -> Bool) async throws -> [ReceivedSpan] {
        let url = try #require(Self.otlpURL.flatMap { URL(string: $0 + "/spans") })
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            let (data, _) = try await URLSession.shared.data(from: url)
            let spans = try JSONDecoder().decode([ReceivedSpan].self, from: data).filter { $0.traceID == traceID }
            if ready(spans) || ContinuousClock.now >= deadline { return spans }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}

extension DeploymentTests {
    @Test(
        "one job is one trace: the API's request, the relay's publish, the worker's run and program, the results processor's record, in parent order",
        .enabled(if: Deployment.otlpURL != nil))
    func oneTrace() async throws {
        let deployment = try await Deployment.shared()
        try deployment.startWorker("traced", ["--concurrency", "2"])
        let job = try await deployment.submit(#"{"command":"echo","args":["traced"]}"#)
        let traceID = try #require(job.traceId, "the job resource carries its trace id")
        #expect(traceID.count == 32 && traceID.allSatisfy(\.isHexDigit))
        try await deployment.waitFor(job.id, "succeeded", within: 20)
        let spans = try await deployment.spans(of: traceID) { spans in
            ["POST /api/v1/jobs", "publish job.created", "run job", "exec echo", "record job.finished"].allSatisfy { name in
                spans.contains { $0.name == name }
            }
        }
        let names = spans.map(\.name).sorted()
        func one(_ name: String) throws -> ReceivedSpan {
            try #require(spans.first { $0.name == name }, "no span \(name) in \(names)")
        }
        let request = try one("POST /api/v1/jobs")
        let publish = try one("publish job.created")
        let run = try one("run job")
        let program = try one("exec echo")
        let record = try one("record job.finished")
        #expect(request.parentSpanID.isEmpty, "the request starts the trace")
        #expect(request.service == "cloudtask-api")
        #expect(request.attributes["http.response.status_code"] == .int(201))
        #expect(publish.parentSpanID == request.spanID)
        #expect(run.parentSpanID == publish.spanID && run.service == "cloudtask-worker")
        #expect(program.parentSpanID == run.spanID)
        #expect(program.attributes["process.exit.code"] == .int(0) && !program.failed)
        #expect(record.parentSpanID == run.spanID)
        // The client calls inside them: the job's insert under the request, the report's
        // publish under the run.
        #expect(spans.contains { $0.name == "PostgreSQL create" && $0.parentSpanID == request.spanID }, "\(names)")
        #expect(spans.contains { $0.name == "publish job.finished" && $0.parentSpanID == run.spanID }, "\(names)")
        #expect(spans.allSatisfy { !$0.failed }, "\(spans.filter(\.failed).map(\.name))")
        // Logs inside a span say which.
        let log = deployment.logText(of: "traced")
        #expect(log.contains("trace_id=\(traceID)"), "the worker's log lines of the run carry the trace id")
        await deployment.stopWorkers()
    }

    @Test(
        "a client's own traceparent is not continued: the request starts a trace of the service's own",
        .enabled(if: Deployment.otlpURL != nil))
    func clientContextIgnored() async throws {
        let deployment = try await Deployment.shared()
        let chosen = "0af7651916cd43dd8448eb211c80319c"
        var request = URLRequest(url: URL(string: deployment.base + "/api/v1/jobs")!)
        request.httpMethod = "POST"
        request.httpBody = Data(#"{"command":"echo","run_at":"2100-01-01T00:00:00Z"}"#.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("Bearer \(deployment.token)", forHTTPHeaderField: "Authorization")
        request.setValue("00-\(chosen)-b7ad6b7169203331-01", forHTTPHeaderField: "traceparent")
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 201)
        let job = try JSONDecoder().decode(JobResource.self, from: data)
        let traceID = try #require(job.traceId)
        #expect(traceID != chosen)
        let spans = try await deployment.spans(of: traceID) { $0.contains { $0.name == "POST /api/v1/jobs" } }
        #expect(spans.first { $0.name == "POST /api/v1/jobs" }?.parentSpanID.isEmpty == true)
        _ = try await deployment.request("POST", "/api/v1/jobs/\(job.id)/stop")
    }

    @Test(
        "a worker that samples nothing still records a span that fails, in the job's trace, and nothing of a run that went well",
        .enabled(if: Deployment.otlpURL != nil))
    func errorsAlwaysSampled() async throws {
        let deployment = try await Deployment.shared()
        // Not parent-based: the worker drops every span whatever the API decided.
        try deployment.startWorker(
            "unsampled", ["--concurrency", "2"],
            environment: ["OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"])
        let failing = try await deployment.submit(#"{"command":"false"}"#)
        let fine = try await deployment.submit(#"{"command":"true"}"#)
        try await deployment.waitFor(failing.id, "failed", within: 20)
        try await deployment.waitFor(fine.id, "succeeded", within: 20)
        let failed = try await deployment.spans(of: try #require(failing.traceId)) { spans in
            spans.contains { $0.name == "exec false" }
        }
        let program = try #require(failed.first { $0.name == "exec false" }, "\(failed.map(\.name))")
        #expect(program.failed && program.attributes["process.exit.code"] == .int(1))
        #expect(program.service == "cloudtask-worker")
        #expect(!failed.contains { $0.name == "run job" }, "the run itself did not fail: not recorded")
        // The API samples everything: its side of both jobs is there; the worker's is not.
        let succeeded = try await deployment.spans(of: try #require(fine.traceId)) { spans in
            spans.contains { $0.name == "POST /api/v1/jobs" }
        }
        #expect(succeeded.contains { $0.name == "POST /api/v1/jobs" })
        // What the worker recorded of it can only be spans that failed (none, as a rule).
        let kept = succeeded.filter { $0.service == "cloudtask-worker" }
        let keptNames = kept.map { "\($0.name) (status \($0.statusCode))" }
        #expect(kept.allSatisfy { $0.failed }, "\(keptNames)")
        await deployment.stopWorkers()
    }

    @Test(
        "a collector that is down costs nothing but the spans: jobs run as usual and the worker still stops within its grace",
        .enabled(if: Deployment.otlpURL != nil))
    func collectorDown() async throws {
        let deployment = try await Deployment.shared()
        // Port 9 (discard) on loopback: nothing listens; every export fails at once.
        let worker = try deployment.startWorker(
            "no-collector", ["--concurrency", "4"], environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"])
        let started = ContinuousClock.now
        let jobs = try await (0..<8).asyncMap { _ in try await deployment.submit(#"{"command":"echo","args":["still here"]}"#) }
        for job in jobs { try await deployment.waitFor(job.id, "succeeded", within: 20) }
        #expect(ContinuousClock.now - started < .seconds(20))
        let stopping = ContinuousClock.now
        await deployment.stopWorkers()
        #expect(!worker.isRunning)
        #expect(ContinuousClock.now - stopping < .seconds(15), "stopped by SIGTERM, not by the SIGKILL after 15 s")
    }
}

extension Sequence {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
