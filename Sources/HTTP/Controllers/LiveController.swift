import Application
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Ports
import ServiceLifecycle

/// Live views: one job's events, its followed output, and the status changes of many
/// jobs. Each stream is a task reading the process's hub; no thread, no connection of
/// its own. A stream that a client left is noticed at its next write (a heartbeat at
/// the latest) and ends there.
struct LiveController {
    let useCases: APIUseCases

    /// `GET /jobs/{id}/events`: status, output and reset events, each with an id that
    /// `Last-Event-ID` resumes from; ends after the final status.
    func jobEvents(_ request: Request, context: APIContext) async throws -> Response {
        let caller = try context.requireCaller()
        let id = try JobController.jobID(context)
        var after: JobFeedPosition?
        if let last = request.headers[.lastEventID] {
            guard let position = JobFeedPosition(eventID: last.trimmingCharacters(in: .whitespaces)) else {
                throw APIError.invalid(ValidationFailure(field: "Last-Event-ID", "is not an event id of this job's stream"))
            }
            after = position
        }
        let follow = try await useCases.followJob(caller: caller, id: id, after: after)
        let body = ResponseBody { writer in
            try await writer.write(ServerSentEvents.opening(retryMilliseconds: 2_000))
            // A server shutting down ends its streams, or its drain would wait on them.
            try await withGracefulShutdownHandler {
                for try await event in follow.events() {
                    try await writer.write(Self.encode(event))
                }
            } onGracefulShutdown: {
                follow.stop()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: Self.eventStreamHeaders, body: body)
    }

    /// `GET /jobs/{id}/output?follow=1`: the output as plain text until the job is final.
    /// A new run (a retry, or a redelivery after a worker was lost) is marked with a line
    /// of its own, since plain text cannot take back what was sent.
    func followOutput(caller: AccessClaims, id: JobID, stream: JobFeedEvent.Stream?) async throws -> Response {
        let follow = try await useCases.followJob(caller: caller, id: id, after: nil)
        let body = ResponseBody { writer in
            try await withGracefulShutdownHandler {
                try await Self.writeOutput(of: follow, stream: stream, to: &writer)
            } onGracefulShutdown: {
                follow.stop()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"], body: body)
    }

    private static func writeOutput(of follow: JobFollow, stream: JobFeedEvent.Stream?,
                                    to writer: inout any ResponseBodyWriter) async throws {
        for try await event in follow.events() {
            switch event {
            case .output(let which, let text, _) where stream == nil || stream == which:
                try await writer.write(ByteBuffer(string: text))
            case .reset(let attempt, _):
                try await writer.write(ByteBuffer(string: "\n[cloudtask: the output starts over: a new run of attempt \(attempt)]\n"))
            default:
                continue
            }
        }
    }

    /// `GET /events[?owner=all]`: a `status` event with the job each time one of the
    /// caller's jobs (or, for an admin asking, anyone's) changes. No history: after a
    /// reconnect, read the list again.
    func watch(_ request: Request, context: APIContext) async throws -> Response {
        let caller = try context.requireCaller()
        var allOwners = false
        if let owner = request.uri.queryParameters["owner"].map(String.init) {
            guard owner == "all" else { throw APIError.invalid(ValidationFailure(field: "owner", "must be 'all' when given")) }
            allOwners = true
        }
        let watch = try useCases.watchJobs(caller: caller, allOwners: allOwners)
        let body = ResponseBody { writer in
            try await writer.write(ServerSentEvents.opening(retryMilliseconds: 2_000))
            try await withGracefulShutdownHandler {
                try await Self.writeWatch(watch, to: &writer)
            } onGracefulShutdown: {
                watch.stop()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: Self.eventStreamHeaders, body: body)
    }

    private static func writeWatch(_ watch: WatchJobs.Watch, to writer: inout any ResponseBodyWriter) async throws {
        for await event in watch.events {
            switch event {
            case .changed(let job):
                var json = JSONWriter()
                JobRepresentation(job: job).write(to: &json)
                try await writer.write(ServerSentEvents.event(id: "\(job.id).\(job.version)", name: "status", data: json.buffer))
            case .heartbeat:
                try await writer.write(ServerSentEvents.heartbeat)
            }
        }
    }

    static let eventStreamHeaders: HTTPFields = [
        .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store", HTTPField.Name("X-Accel-Buffering")!: "no",
    ]

    static func encode(_ event: JobFeedEvent) -> ByteBuffer {
        var json = JSONWriter()
        switch event {
        case .status(let job, let position):
            JobRepresentation(job: job).write(to: &json)
            return ServerSentEvents.event(id: position.eventID, name: "status", data: json.buffer)
        case .output(let stream, let text, let position):
            json.object { json in
                json.key("stream"); json.string(stream.rawValue)
                json.key("text"); json.string(text)
            }
            return ServerSentEvents.event(id: position.eventID, name: "output", data: json.buffer)
        case .reset(let attempt, let position):
            json.object { json in json.key("attempt"); json.int(attempt) }
            return ServerSentEvents.event(id: position.eventID, name: "reset", data: json.buffer)
        case .heartbeat:
            return ServerSentEvents.heartbeat
        }
    }
}

extension HTTPField.Name {
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
}
