import Application
public import Domain
import Foundation
public import Ports

/// The wire format of every message (docs/messages.md is its reference): JSON with
/// `type`, `version`, `event_id`, `occurred_at`, `job_id` and, per type, the rest.
/// Decoding is strict about what consumers rely on and tolerant of fields it does not
/// know, so producers may add fields without breaking older consumers.
public enum JobMessageCodec {
    public static let version = 1

    public enum DecodingError: Error, Equatable {
        case malformed(String)
    }

    // MARK: Encoding

    public static func encode(_ dispatch: JobDispatch) -> [UInt8] {
        var wire = Wire(type: "job.created", eventID: dispatch.eventID, occurredAt: dispatch.occurredAt, jobID: dispatch.jobID)
        wire.attempt = dispatch.attempt
        wire.command = dispatch.command
        wire.args = dispatch.args
        wire.priority = dispatch.priority
        wire.timeoutSeconds = dispatch.timeoutSeconds
        wire.limits = dispatch.limits
        wire.artifactNames = dispatch.artifacts.isEmpty ? nil : dispatch.artifacts
        wire.inputs = dispatch.inputs.isEmpty ? nil : dispatch.inputs
        wire.traceParent = dispatch.trace
        return encode(wire)
    }

    public static func encode(_ stop: StopRequest) -> [UInt8] {
        encode(Wire(type: "job.stop", eventID: stop.eventID, occurredAt: stop.occurredAt, jobID: stop.jobID))
    }

    public static func encode(_ event: JobEvent) -> [UInt8] { encode(wire(of: event)) }

    static func wire(of event: JobEvent) -> Wire {
        var wire = Wire(type: type(of: event), eventID: event.eventID, occurredAt: event.occurredAt, jobID: event.jobID)
        wire.attempt = event.attempt
        wire.workerID = event.workerID
        wire.startedAt = event.startedAt
        wire.usage = event.usage
        wire.traceParent = event.trace
        switch event.kind {
        case .started:
            break
        case .output(let chunk):
            wire.output = WireOutput(chunk)
        case .finished(let outcome, let output):
            wire.output = WireOutput(output)
            wire.artifactResults = event.artifacts.isEmpty ? nil : event.artifacts
            switch outcome {
            case .succeeded:
                wire.outcome = "succeeded"
                wire.exitCode = 0
            case .failed(let exitCode, let failure):
                wire.outcome = "failed"
                wire.exitCode = exitCode
                wire.failure = WireFailure(code: failure.code.rawValue, message: failure.message)
            case .cancelled(let exitCode):
                wire.outcome = "cancelled"
                wire.exitCode = exitCode
            }
        }
        return wire
    }

    /// `job.started`, `job.output` or `job.finished`: also the routing key.
    public static func type(of event: JobEvent) -> String {
        switch event.kind {
        case .started: "job.started"
        case .output: "job.output"
        case .finished: "job.finished"
        }
    }

    /// An outbox message in its wire form. The PostgreSQL outbox stores this form, the
    /// one the relay publishes: one shape for a message wherever it waits.
    public static func encode(_ message: OutboxMessage) -> [UInt8] {
        switch message {
        case .dispatch(let dispatch): encode(dispatch)
        case .stop(let stop): encode(stop)
        }
    }

    // MARK: Decoding

    /// An outbox message from its wire form (`job.created` or `job.stop`).
    public static func decodeOutbox(_ bytes: [UInt8]) throws(DecodingError) -> OutboxMessage {
        let wire = try decode(bytes, expecting: ["job.created", "job.stop"])
        return wire.type == "job.stop" ? .stop(try decodeStop(bytes)) : .dispatch(try decodeDispatch(bytes))
    }

    public static func decodeDispatch(_ bytes: [UInt8]) throws(DecodingError) -> JobDispatch {
        let wire = try decode(bytes, expecting: ["job.created"])
        guard let attempt = wire.attempt, let command = wire.command, let args = wire.args,
            let timeout = wire.timeoutSeconds
        else { throw .malformed("job.created lacks attempt, command, args or timeout_seconds") }
        guard WireBounds.attempts.contains(attempt) else { throw .malformed("attempt out of range") }
        guard JobLimits.timeoutSeconds.contains(timeout) else { throw .malformed("timeout_seconds out of range") }
        // The same rules as a submission: a program that cannot be run as written is
        // refused here, not by a C call that would read a NUL as the end of the string.
        do {
            _ = try JobRequest(command: command, args: args, timeoutSeconds: timeout, artifacts: wire.artifactNames ?? [])
        } catch {
            throw .malformed("job.created has an invalid command line (\(error.issues.map(\.field).joined(separator: ", ")))")
        }
        // Inputs by the API's rules: paths inside the working directory, keys of uploaded
        // files; anything else would have the worker fetch or write where it must not.
        let inputs = wire.inputs ?? []
        guard InputRules.problems(with: inputs.map(\.path)).isEmpty, inputs.allSatisfy({ InputRules.isObjectKey($0.key) })
        else { throw .malformed("job.created has invalid inputs") }
        return JobDispatch(
            eventID: wire.eventUUID, jobID: wire.job, attempt: attempt, command: command, args: args,
            priority: min(9, max(0, wire.priority ?? 0)), timeoutSeconds: timeout, occurredAt: wire.occurredAt,
            limits: wire.limits, artifacts: wire.artifactNames ?? [], inputs: inputs, trace: wire.traceParent)
    }

    public static func decodeStop(_ bytes: [UInt8]) throws(DecodingError) -> StopRequest {
        let wire = try decode(bytes, expecting: ["job.stop"])
        return StopRequest(eventID: wire.eventUUID, jobID: wire.job, occurredAt: wire.occurredAt)
    }

    public static func decodeEvent(_ bytes: [UInt8]) throws(DecodingError) -> JobEvent {
        try event(from: try decode(bytes, expecting: eventTypes))
    }

    static let eventTypes: Set<String> = ["job.started", "job.output", "job.finished"]

    /// A worker's report from its checked fields.
    static func event(from wire: Wire) throws(DecodingError) -> JobEvent {
        guard let attempt = wire.attempt, let workerID = wire.workerID else {
            throw .malformed("\(wire.type) lacks attempt or worker_id")
        }
        guard WireBounds.attempts.contains(attempt) else { throw .malformed("attempt out of range") }
        guard WireBounds.isWorkerID(workerID) else { throw .malformed("worker_id must be 1 to 128 visible characters") }
        if let exitCode = wire.exitCode, !WireBounds.exitCodes.contains(exitCode) { throw .malformed("exit_code out of range") }
        let kind: JobEvent.Kind
        switch wire.type {
        case "job.started":
            kind = .started
        case "job.output":
            guard let output = wire.output else { throw .malformed("job.output lacks output") }
            kind = .output(try output.checkedChunk())
        default:
            let output = try wire.output?.checkedChunk() ?? OutputChunk()
            switch wire.outcome {
            case "succeeded":
                kind = .finished(.succeeded, output: output)
            case "cancelled":
                kind = .finished(.cancelled(exitCode: wire.exitCode), output: output)
            case "failed":
                guard let failure = wire.failure, let code = JobFailure.Code(rawValue: failure.code) else {
                    throw .malformed("a failed job.finished lacks a known failure code")
                }
                let message = WireBounds.prefix(OutputText.clean(failure.message), bytes: WireBounds.maxFailureMessageBytes)
                kind = .finished(
                    .failed(exitCode: wire.exitCode, failure: JobFailure(code: code, message: message)), output: output)
            default:
                throw .malformed("job.finished has no known outcome")
            }
        }
        // Only a finish carries the start of its run; on another report it means nothing.
        var startedAt: Date?
        var usage: ResourceUsage?
        var artifacts: [JobArtifact] = []
        switch kind {
        case .finished:
            startedAt = wire.startedAt
            usage = wire.usage
            artifacts = wire.artifactResults ?? []
        case .output:
            usage = wire.usage  // what the run has used so far
        case .started:
            break
        }
        return JobEvent(
            eventID: wire.eventUUID, jobID: wire.job, attempt: attempt, workerID: workerID,
            occurredAt: wire.occurredAt, kind: kind, startedAt: startedAt, usage: usage, artifacts: artifacts,
            trace: wire.traceParent)
    }

    // MARK: The JSON shape

    /// Every field a message may carry; which ones a type needs is checked above.
    struct Wire {
        var type: String
        var version: Int = JobMessageCodec.version
        var eventID: String
        var occurredAt: Date
        var jobID: String
        var startedAt: Date?
        var usage: ResourceUsage?
        var limits: RunLimits?
        var attempt: Int?
        var workerID: String?
        var command: String?
        var args: [String]?
        var priority: Int?
        var timeoutSeconds: Int?
        var outcome: String?
        var exitCode: Int?
        var failure: WireFailure?
        var output: WireOutput?
        /// `job.created`: the paths to keep.
        var artifactNames: [String]?
        /// `job.finished`: each path kept or not.
        var artifactResults: [JobArtifact]?
        /// `job.created`: the files to place before the program starts.
        var inputs: [InputPlacement]?
        /// W3C trace context (docs/tracing.md).
        var traceParent: TraceParent?

        init(type: String, eventID: UUID, occurredAt: Date, jobID: JobID) {
            self.type = type
            self.eventID = eventID.uuidString.lowercased()
            self.occurredAt = occurredAt
            self.jobID = jobID.description
        }

        /// The output's text, to size a buffer.
        var outputBytes: Int { output.map { $0.stdout.utf8.count + $0.stderr.utf8.count } ?? 0 }

        var eventUUID: UUID { UUID(uuidString: eventID)! }  // checked in `decode`
        var job: JobID { JobID(UUID(uuidString: jobID)!) }  // checked in `decode`
    }

    struct WireFailure {
        let code: String
        let message: String
    }

    struct WireOutput {
        let stdout: String
        let stderr: String
        let stdoutOffset: Int
        let stderrOffset: Int
        let truncated: Bool

        init(_ chunk: OutputChunk) {
            self.init(
                stdout: chunk.stdout, stderr: chunk.stderr, stdoutOffset: chunk.stdoutOffset,
                stderrOffset: chunk.stderrOffset, truncated: chunk.truncated)
        }

        init(stdout: String, stderr: String, stdoutOffset: Int, stderrOffset: Int, truncated: Bool) {
            self.stdout = stdout
            self.stderr = stderr
            self.stdoutOffset = stdoutOffset
            self.stderrOffset = stderrOffset
            self.truncated = truncated
        }

        /// The chunk, bounded: offsets in range, NUL replaced as the worker's own decoder
        /// does (`OutputText`), so that no report can make the store refuse its text.
        func checkedChunk() throws(DecodingError) -> OutputChunk {
            guard WireBounds.offsets.contains(stdoutOffset), WireBounds.offsets.contains(stderrOffset) else {
                throw .malformed("output offsets out of range")
            }
            return OutputChunk(
                stdout: OutputText.clean(stdout), stderr: OutputText.clean(stderr), stdoutOffset: stdoutOffset,
                stderrOffset: stderrOffset, truncated: truncated)
        }
    }

    /// The message's JSON, by hand (JSONEncoder was a fifth of a worker's CPU): keys
    /// sorted, absent fields left out, times as `WireTime` writes them.
    private static func encode(_ wire: Wire) -> [UInt8] {
        var json = JSONWriter(capacity: 256 + wire.outputBytes)
        write(wire, into: &json)
        return json.bytes
    }

    static func write(_ wire: Wire, into json: inout JSONWriter) {
        json.object { json in
            if let args = wire.args {
                json.key("args")
                json.array(args) { json, arg in json.string(arg) }
            }
            if let names = wire.artifactNames {
                json.key("artifacts")
                json.array(names) { json, name in json.string(name) }
            } else if let results = wire.artifactResults {
                json.key("artifacts")
                json.array(results) { json, artifact in
                    json.object { json in
                        json.member("attempt", artifact.attempt)
                        json.member("error", ifPresent: artifact.error)
                        json.member("name", artifact.name)
                        json.member("sha256", ifPresent: artifact.sha256)
                        json.member("size", ifPresent: artifact.size.map(Int.init))
                    }
                }
            }
            json.member("attempt", ifPresent: wire.attempt)
            json.member("command", ifPresent: wire.command)
            json.member("event_id", wire.eventID)
            json.member("exit_code", ifPresent: wire.exitCode)
            if let failure = wire.failure {
                json.key("failure")
                json.object { json in
                    json.member("code", failure.code)
                    json.member("message", failure.message)
                }
            }
            if let inputs = wire.inputs {
                json.key("inputs")
                json.array(inputs) { json, input in
                    json.object { json in
                        json.member("key", input.key)
                        json.member("path", input.path)
                    }
                }
            }
            json.member("job_id", wire.jobID)
            if let limits = wire.limits {
                json.key("limits")
                json.limits(limits)
            }
            json.member("occurred_at", WireTime.format(wire.occurredAt))
            json.member("outcome", ifPresent: wire.outcome)
            if let output = wire.output {
                json.key("output")
                json.object { json in
                    json.member("stderr", output.stderr)
                    json.member("stderr_offset", output.stderrOffset)
                    json.member("stdout", output.stdout)
                    json.member("stdout_offset", output.stdoutOffset)
                    json.member("truncated", output.truncated)
                }
            }
            json.member("priority", ifPresent: wire.priority)
            json.member("started_at", ifPresent: wire.startedAt.map(WireTime.format))
            json.member("timeout_seconds", ifPresent: wire.timeoutSeconds)
            json.member("traceparent", ifPresent: wire.traceParent?.header)
            json.member("type", wire.type)
            if let usage = wire.usage {
                json.key("usage")
                json.usage(usage)
            }
            json.member("version", wire.version)
            json.member("worker_id", ifPresent: wire.workerID)
        }
    }

    /// Checks and reads the message in one strict pass (`StrictJSON.parse`). A field
    /// that is required and missing, or present with the wrong kind of value, makes the
    /// message "not a CloudTask message"; `null` reads as absent; unknown fields are
    /// ignored, so producers may add fields.
    private static func decode(_ bytes: [UInt8], expecting types: Set<String>) throws(DecodingError) -> Wire {
        try checked(try parse(bytes, keeping: wireFields), expecting: types)
    }

    /// The message's JSON, within the size bound and strictly well-formed.
    static func parse(_ bytes: [UInt8], keeping fields: Set<String>) throws(DecodingError) -> JSONValue {
        guard bytes.count <= WireBounds.maxMessageBytes else {
            throw .malformed("larger than \(WireBounds.maxMessageBytes) bytes")
        }
        do {
            return try StrictJSON.parse(bytes, keeping: fields)
        } catch {
            throw .malformed("not JSON (\(error))")
        }
    }

    /// The fields of one message (or one part of a `job.reports`), checked: a known
    /// version and type, UUIDs where they must be.
    static func checked(_ root: JSONValue, expecting types: Set<String>) throws(DecodingError) -> Wire {
        guard let wire = read(root) else { throw .malformed("not a CloudTask message") }
        guard wire.version == version else { throw .malformed("version \(wire.version) is not supported") }
        guard types.contains(wire.type) else { throw .malformed("unexpected type \(wire.type)") }
        guard UUID(uuidString: wire.eventID) != nil, UUID(uuidString: wire.jobID) != nil else {
            throw .malformed("event_id and job_id must be UUIDs")
        }
        return wire
    }

    /// The members a message's reader looks at; any other is checked and ignored.
    private static let wireFields: Set<String> = [
        "type", "version", "event_id", "job_id", "occurred_at", "attempt", "worker_id", "command", "args", "priority",
        "timeout_seconds", "outcome", "exit_code", "failure", "output", "started_at", "usage", "limits", "artifacts",
        "traceparent", "inputs",
    ]

    /// The fields of a message; nil when one has the wrong shape.
    private static func read(_ root: JSONValue) -> Wire? {
        guard case .object = root, let type = root["type"]?.string, let version = root["version"]?.int,
            let eventID = root["event_id"]?.string, let jobID = root["job_id"]?.string,
            let occurredText = root["occurred_at"]?.string, let occurredAt = WireTime.parse(occurredText)
        else { return nil }
        var wire = Wire(type: type, eventID: UUID(), occurredAt: occurredAt, jobID: JobID(UUID()))
        wire.version = version
        wire.eventID = eventID
        wire.jobID = jobID
        // Tracing never stops work: a trace context that is not one is no context.
        wire.traceParent = root["traceparent"]?.string.flatMap { TraceParent(header: $0) }
        do throws(ShapeError) {
            wire.attempt = try optional(root["attempt"], \.int)
            wire.workerID = try optional(root["worker_id"], \.string)
            wire.command = try optional(root["command"], \.string)
            wire.priority = try optional(root["priority"], \.int)
            wire.timeoutSeconds = try optional(root["timeout_seconds"], \.int)
            wire.outcome = try optional(root["outcome"], \.string)
            wire.exitCode = try optional(root["exit_code"], \.int)
            wire.startedAt = try optional(root["started_at"]) { $0.string.flatMap(WireTime.parse) }
            wire.usage = try optional(root["usage"], WireBounds.usage)
            wire.limits = try optional(root["limits"], WireBounds.limits)
            wire.args = try optional(root["args"]) { value in
                value.array.flatMap { elements in
                    let strings = elements.compactMap(\.string)
                    return strings.count == elements.count ? strings : nil
                }
            }
            if type == "job.created" {
                wire.artifactNames = try optional(root["artifacts"]) { value in
                    value.array.flatMap { elements in
                        let strings = elements.compactMap(\.string)
                        return strings.count == elements.count ? strings : nil
                    }
                }
                wire.inputs = try optional(root["inputs"]) { value in
                    value.array.flatMap { elements in
                        let inputs = elements.prefix(InputRules.maxCount + 1).compactMap { element -> InputPlacement? in
                            guard let key = element["key"]?.string, let path = element["path"]?.string else { return nil }
                            return InputPlacement(key: key, path: path)
                        }
                        return inputs.count == elements.count ? inputs : nil
                    }
                }
            } else if type == "job.finished" {
                wire.artifactResults = try optional(root["artifacts"]) { value in
                    value.array.flatMap { elements in
                        let results = elements.compactMap(WireBounds.artifact)
                        return results.count == elements.count && results.count <= ArtifactRules.maxCount ? results : nil
                    }
                }
            }
            wire.failure = try optional(root["failure"]) { value in
                guard let code = value["code"]?.string, let message = value["message"]?.string else { return nil }
                return WireFailure(code: code, message: message)
            }
            wire.output = try optional(root["output"]) { value in
                guard let stdout = value["stdout"]?.string, let stderr = value["stderr"]?.string,
                    let stdoutOffset = value["stdout_offset"]?.int, let stderrOffset = value["stderr_offset"]?.int,
                    let truncated = value["truncated"]?.bool
                else { return nil }
                return WireOutput(
                    stdout: stdout, stderr: stderr, stdoutOffset: stdoutOffset, stderrOffset: stderrOffset, truncated: truncated)
            }
        } catch {
            return nil
        }
        return wire
    }

    private struct ShapeError: Error {}

    /// An optional field: absent or `null` is nil; present with another shape is an error.
    private static func optional<T>(_ value: JSONValue?, _ read: (JSONValue) -> T?) throws(ShapeError) -> T? {
        guard let value, !value.isNull else { return nil }
        guard let read = read(value) else { throw ShapeError() }
        return read
    }
}
