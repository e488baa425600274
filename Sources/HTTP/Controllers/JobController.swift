import APIModels
import Application
import CoreMetrics
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Telemetry

/// `/jobs*`: submit, list, read, stop, output.
struct JobController {
    let useCases: APIUseCases
    let live: LiveController

    func create(_ request: Request, context: APIContext) async throws -> Response {
        let caller = try context.requireCaller()
        let key = try Self.idempotencyKey(request.headers[.idempotencyKey])
        let body = try await JSONBody.decode(JobSubmission.self, from: request, allowed: JobSubmission.fieldNames)
        var problems = ValidationCollector()
        var runAt: Date?
        if let text = body.runAt {
            runAt = Timestamp.parse(text)
            if runAt == nil { problems.add("run_at", "must be an RFC 3339 time such as 2026-11-22T09:00:00Z") }
        }
        let inputs = Self.inputs(body.inputs ?? [], problems: &problems)
        let jobRequest = problems.check { () throws(ValidationFailure) in
            try JobRequest(
                command: body.command, args: body.args ?? [], priority: body.priority, runAt: runAt,
                timeoutSeconds: body.timeoutSeconds, maxAttempts: body.maxAttempts, name: body.name,
                limits: body.limits.map { LimitRequest(memoryBytes: $0.memoryBytes, cpu: $0.cpu, tasks: $0.tasks) },
                notify: body.notify ?? false, artifacts: body.artifacts ?? [], inputs: inputs)
        }
        do { try problems.throwIfAny() } catch { throw APIError.invalid(error) }
        let (job, created) = try await useCases.createJob(
            caller: caller, request: jobRequest!, idempotencyKey: key, trace: Telemetry.currentTraceParent)
        if created { Counter(label: MetricNames.jobsCreated).increment() }
        return Responses.json(
            JobRepresentation(job: job), status: created ? .created : .ok,
            headers: [.location: "/api/v1/jobs/\(job.id)"])
    }

    /// The submitted inputs with their file ids read; a list that is too long is refused
    /// before any element is looked at.
    static func inputs(_ submitted: [JobSubmission.Input], problems: inout ValidationCollector) -> [JobInput] {
        guard submitted.count <= InputRules.maxCount else {
            problems.add("inputs", "must have at most \(InputRules.maxCount) items")
            return []
        }
        var inputs: [JobInput] = []
        for (index, input) in submitted.enumerated() {
            if let file = UUID(canonical: input.file) {
                inputs.append(JobInput(file: file, path: input.path))
            } else {
                problems.add("inputs[\(index)].file", "must be the id of an uploaded file (a UUID)")
            }
        }
        return inputs
    }

    func list(_ request: Request, context: APIContext) async throws -> Response {
        let caller = try context.requireCaller()
        let query = request.uri.queryParameters
        var problems = ValidationCollector()
        var status: JobStatus?
        if let text = query["status"].map(String.init) {
            status = JobStatus(rawValue: text)
            if status == nil {
                problems.add("status", "must be one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        var limit: Int?
        if let text = query["limit"].map(String.init) {
            limit = Int(text)
            if limit == nil { problems.add("limit", "must be 1 to 100") }
        }
        var allOwners = false
        if let owner = query["owner"].map(String.init) {
            if owner == "all" { allOwners = true } else { problems.add("owner", "must be 'all' when given") }
        }
        do { try problems.throwIfAny() } catch { throw APIError.invalid(error) }
        let page = try await useCases.listJobs(
            caller: caller, status: status, limit: limit, cursor: query["cursor"].map(String.init),
            allOwners: allOwners)
        return Responses.json(JobListRepresentation(jobs: page.jobs.map(JobRepresentation.init), nextCursor: page.nextCursor))
    }

    func get(_ request: Request, context: APIContext) async throws -> Response {
        let job = try await useCases.getJob(
            caller: try context.requireCaller(), id: try Self.jobID(context),
            readAhead: context.readAhead)
        return Responses.json(JobRepresentation(job: job))
    }

    func stop(_ request: Request, context: APIContext) async throws -> Response {
        let (job, effect) = try await useCases.stopJob(
            caller: try context.requireCaller(), id: try Self.jobID(context), context: context.audit)
        return Responses.json(JobRepresentation(job: job), status: effect == .stopRequested ? .accepted : .ok)
    }

    func output(_ request: Request, context: APIContext) async throws -> Response {
        let caller = try context.requireCaller()
        let id = try Self.jobID(context)
        let stream = request.uri.queryParameters["stream"].map(String.init)
        if let stream, stream != "stdout" && stream != "stderr" {
            throw APIError.invalid(ValidationFailure(field: "stream", "must be stdout or stderr"))
        }
        switch request.uri.queryParameters["follow"].map(String.init) {
        case nil, "0", "false": break
        case "1", "true":
            return try await live.followOutput(
                caller: caller, id: id, stream: stream.flatMap(JobFeedEvent.Stream.init(rawValue:)), context: context)
        default:
            throw APIError.invalid(ValidationFailure(field: "follow", "must be 1 or 0"))
        }
        let output = try await useCases.jobOutput(caller: caller, id: id)
        switch stream {
        case "stdout": return Responses.text(output.stdout)
        case "stderr": return Responses.text(output.stderr)
        default:
            return try Responses.json(
                OutputRepresentation(stdout: output.stdout, stderr: output.stderr, truncated: output.truncated))
        }
    }

    /// A malformed id is a 400, not a 404.
    static func jobID(_ context: APIContext) throws -> JobID {
        guard let text = context.parameters.get("id"), let uuid = UUID(canonical: text) else {
            throw APIError.invalid(ValidationFailure(field: "id", "must be a UUID"))
        }
        return JobID(uuid)
    }

    /// 1 to 255 visible ASCII characters.
    static func idempotencyKey(_ value: String?) throws -> String? {
        guard let value else { return nil }
        guard (1...255).contains(value.utf8.count), value.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7e }) else {
            throw APIError.invalid(ValidationFailure(field: "Idempotency-Key", "must be 1 to 255 visible ASCII characters"))
        }
        return value
    }
}
