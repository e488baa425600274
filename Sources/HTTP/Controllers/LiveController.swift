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
    let streams: LiveStreamCounter

    /// What every stream runs under: a slot in the counts (taken before the response,
    /// so a refusal is a clear 429 or 503), a watch on writes that a client stopped
    /// reading, and at each heartbeat a check that the caller's token still holds.
    struct Session: Sendable {
        let slot: LiveStreamSlot
        let watch: StalledWriteWatch
        let caller: AccessClaims
        let authenticate: AuthenticateAccessToken

        func write(_ buffer: ByteBuffer, to writer: inout any ResponseBodyWriter) async throws {
            try await watch.write(buffer, to: &writer)
        }

        /// At a heartbeat: false once the token was revoked (logout, password change).
        func stillValid() async -> Bool { await authenticate.isStillValid(caller) }

        func end() {
            watch.stop()
            slot.close()
        }
    }

    func session(for caller: AccessClaims, context: APIContext) throws -> Session {
        Session(
            slot: try streams.open(for: caller.userID),
            watch: StalledWriteWatch(limit: streams.limits.writeTimeout) { [channel = context.channel] in
                channel?.close(promise: nil)
            },
            caller: caller, authenticate: useCases.authenticate)
    }

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
        let session = try session(for: caller, context: context)
        let follow = try await useCases.followJob(caller: caller, id: id, after: after)
        let body = ResponseBody { writer in
            defer { session.end() }
            try await session.write(ServerSentEvents.opening(retryMilliseconds: 2_000), to: &writer)
            // A server shutting down ends its streams, or its drain would wait on them.
            try await withGracefulShutdownHandler {
                for try await event in follow.events() {
                    if case .heartbeat = event, await !session.stillValid() { break }
                    try await session.write(Self.encode(event), to: &writer)
                }
            } onGracefulShutdown: {
                follow.stop()
            }
            follow.stop()
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: Self.eventStreamHeaders, body: body)
    }

    /// `GET /jobs/{id}/output?follow=1`: the output as plain text until the job is final.
    /// A new run (a retry, or a redelivery after a worker was lost) is marked with a line
    /// of its own, since plain text cannot take back what was sent.
    func followOutput(caller: AccessClaims, id: JobID, stream: JobFeedEvent.Stream?, context: APIContext) async throws -> Response
    {
        let session = try session(for: caller, context: context)
        let follow = try await useCases.followJob(caller: caller, id: id, after: nil)
        let body = ResponseBody { writer in
            defer { session.end() }
            try await withGracefulShutdownHandler {
                try await Self.writeOutput(of: follow, stream: stream, session: session, to: &writer)
            } onGracefulShutdown: {
                follow.stop()
            }
            follow.stop()
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"], body: body)
    }

    private static func writeOutput(
        of follow: JobFollow, stream: JobFeedEvent.Stream?, session: Session,
        to writer: inout any ResponseBodyWriter
    ) async throws {
        for try await event in follow.events() {
            switch event {
            case .output(let which, let text, _) where stream == nil || stream == which:
                try await session.write(ByteBuffer(string: text), to: &writer)
            case .reset(let attempt, _):
                try await session.write(
                    ByteBuffer(string: "\n[cloudtask: the output starts over: a new run of attempt \(attempt)]\n"), to: &writer)
            case .heartbeat:
                if await !session.stillValid() { return }
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
        let session = try session(for: caller, context: context)
        let watch = try useCases.watchJobs(caller: caller, allOwners: allOwners)
        let body = ResponseBody { writer in
            defer { session.end() }
            try await session.write(ServerSentEvents.opening(retryMilliseconds: 2_000), to: &writer)
            try await withGracefulShutdownHandler {
                try await Self.writeWatch(watch, session: session, to: &writer)
            } onGracefulShutdown: {
                watch.stop()
            }
            watch.stop()
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: Self.eventStreamHeaders, body: body)
    }

    private static func writeWatch(_ watch: WatchJobs.Watch, session: Session, to writer: inout any ResponseBodyWriter)
        async throws
    {
        for await event in watch.events {
            switch event {
            case .changed(let job):
                var json = JSONWriter()
                JobRepresentation(job: job).write(to: &json)
                try await session.write(
                    ServerSentEvents.event(id: "\(job.id).\(job.version)", name: "status", data: ByteBuffer(bytes: json.bytes)),
                    to: &writer)
            case .heartbeat:
                if await !session.stillValid() { return }
                try await session.write(ServerSentEvents.heartbeat, to: &writer)
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
            return ServerSentEvents.event(id: position.eventID, name: "status", data: ByteBuffer(bytes: json.bytes))
        case .output(let stream, let text, let position):
            json.object { json in
                json.key("stream")
                json.string(stream.rawValue)
                json.key("text")
                json.string(text)
            }
            return ServerSentEvents.event(id: position.eventID, name: "output", data: ByteBuffer(bytes: json.bytes))
        case .reset(let attempt, let position):
            json.object { json in
                json.key("attempt")
                json.int(attempt)
            }
            return ServerSentEvents.event(id: position.eventID, name: "reset", data: ByteBuffer(bytes: json.bytes))
        case .heartbeat:
            return ServerSentEvents.heartbeat
        }
    }
}

extension HTTPField.Name {
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
}
