import Application
import Domain
import Foundation
import HTTP
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ports
import Testing

/// Runs a job to the end through the announcing store, as the results processor would:
/// started, `stdout` printed, succeeded.
func runToSuccess(_ store: AnnouncingJobStore, _ id: String, stdout: String) async throws {
    let jobID = JobID(UUID(uuidString: id)!)
    try await store.update([jobID]) { changes in
        var job = changes.jobs[jobID]!
        let event = { (kind: JobEvent.Kind) in
            JobEvent(eventID: UUID(), jobID: jobID, attempt: 1, workerID: "w1", occurredAt: Date(), kind: kind)
        }
        _ = job.apply(event(.started), now: Date()) { _ in 1 }
        changes.recordOutput(for: jobID, reset: true, append: OutputChunk(stdout: stdout))
        _ = job.apply(event(.finished(.succeeded, output: OutputChunk(stdoutOffset: stdout.utf8.count))), now: Date()) { _ in 1 }
        changes.jobs[jobID] = job
    }
}

/// The events of a `text/event-stream` body: (id, event, data) in order.
func parseEvents(_ text: String) -> [(id: String?, event: String, data: String)] {
    text.components(separatedBy: "\n\n").compactMap { block in
        var id: String?
        var event = "message"
        var data: [String] = []
        for line in block.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("id: ") { id = String(line.dropFirst(4)) }
            if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
            if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))) }
        }
        return data.isEmpty ? nil : (id, event, data.joined(separator: "\n"))
    }
}

@Suite("Live routes")
struct LiveRoutesTests {
    @Test("GET /jobs/{id}/events: status and output events with ids; the stream ends after the final status")
    func events() async throws {
        let testAPI = TestAPI()
        try await testAPI.run { (api: APIClient) async throws in
            let tokens = try await api.register()
            let id = try await api.createJob(#"{"command":"echo","args":["hi"]}"#, token: tokens.access)["id"] as! String
            // The stream is opened first; the run happens while it is open.
            let streaming = Task { try await api.send(.get, "/api/v1/jobs/\(id)/events", token: tokens.access) }
            try await waitUntil { testAPI.hub.subscriberCount == 1 }
            try await runToSuccess(testAPI.announcingJobs, id, stdout: "hi\n")
            let response = try await streaming.value
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream; charset=utf-8")
            #expect(response.headers[.cacheControl] == "no-store")
            let events = parseEvents(response.text)
            #expect(events.first?.event == "status")
            #expect(events.contains { $0.event == "output" && $0.data == #"{"stream":"stdout","text":"hi\n"}"# })
            let last = try #require(events.last)
            #expect(last.event == "status" && last.data.contains(#""status":"succeeded""#))
            #expect(events.allSatisfy { $0.id.flatMap(JobFeedPosition.init(eventID:)) != nil })
            try await waitUntil { testAPI.hub.subscriberCount == 0 }
            #expect(testAPI.hub.subscriberCount == 0)

            // Resuming after the output event gives only the final status.
            let output = try #require(events.first { $0.event == "output" })
            let resumed = try await api.send(
                .get, "/api/v1/jobs/\(id)/events", token: tokens.access,
                headers: [HTTPField.Name("Last-Event-ID")!: output.id!])
            let rest = parseEvents(resumed.text)
            #expect(rest.map(\.event) == ["status"])
            #expect(rest.first?.data.contains(#""status":"succeeded""#) == true)
        }
    }

    @Test("GET /jobs/{id}/events: 404 for someone else's job, 400 for a malformed id or Last-Event-ID, 401 without a token")
    func eventErrors() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let owner = try await api.register()
            let stranger = try await api.register()
            let id = try await api.createJob(#"{"command":"echo"}"#, token: owner.access)["id"] as! String
            let hidden = try await api.send(.get, "/api/v1/jobs/\(id)/events", token: stranger.access)
            #expect(hidden.status == .notFound && hidden.problemSlug == "not-found")
            #expect(try await api.send(.get, "/api/v1/jobs/not-a-uuid/events", token: owner.access).status == .badRequest)
            let badID = try await api.send(
                .get, "/api/v1/jobs/\(id)/events", token: owner.access,
                headers: [HTTPField.Name("Last-Event-ID")!: "yesterday"])
            #expect(badID.status == .badRequest && badID.problemFields == ["Last-Event-ID"])
            #expect(try await api.send(.get, "/api/v1/jobs/\(id)/events").status == .unauthorized)
        }
    }

    @Test("GET /jobs/{id}/output?follow=1: the output as plain text, ending with the job; follow must be 1 or 0")
    func followOutput() async throws {
        let testAPI = TestAPI()
        try await testAPI.run { (api: APIClient) async throws in
            let tokens = try await api.register()
            let id = try await api.createJob(#"{"command":"echo"}"#, token: tokens.access)["id"] as! String
            let streaming = Task { try await api.send(.get, "/api/v1/jobs/\(id)/output?follow=1", token: tokens.access) }
            try await waitUntil { testAPI.hub.subscriberCount == 1 }
            try await runToSuccess(testAPI.announcingJobs, id, stdout: "line 1\nline 2\n")
            let response = try await streaming.value
            #expect(response.status == .ok && response.headers[.contentType] == "text/plain; charset=utf-8")
            #expect(response.text == "line 1\nline 2\n")
            #expect(try await api.send(.get, "/api/v1/jobs/\(id)/output?follow=yes", token: tokens.access).status == .badRequest)
            let stranger = try await api.register()
            #expect(try await api.send(.get, "/api/v1/jobs/\(id)/output?follow=1", token: stranger.access).status == .notFound)
        }
    }

    @Test("GET /events: the caller's status changes; owner=all for admins only (403), other owner values 400")
    func watch() async throws {
        let testAPI = TestAPI()
        try await testAPI.run { (api: APIClient) async throws in
            let user = try await api.register()
            #expect(try await api.send(.get, "/api/v1/events?owner=all", token: user.access).status == .forbidden)
            #expect(try await api.send(.get, "/api/v1/events?owner=me", token: user.access).status == .badRequest)
            let other = try await api.register()
            let streaming = Task { try await api.send(.get, "/api/v1/events", token: user.access) }
            try await waitUntil { testAPI.hub.subscriberCount == 1 }
            _ = try await api.createJob(#"{"command":"echo"}"#, token: other.access)
            let id = try await api.createJob(#"{"command":"echo"}"#, token: user.access)["id"] as! String
            try await runToSuccess(testAPI.announcingJobs, id, stdout: "x")
            // A watch has no end of its own; the server's shutdown ends it.
            try await Task.sleep(for: .milliseconds(100))
            testAPI.hub.finishAll()
            let response = try await streaming.value
            #expect(response.status == .ok && response.headers[.contentType] == "text/event-stream; charset=utf-8")
            let events = parseEvents(response.text)
            #expect(events.map(\.event) == ["status", "status"])
            #expect(events.map { $0.data.contains(#""id":"\#(id)""#) } == [true, true])
            #expect(events.last?.data.contains(#""status":"succeeded""#) == true)
            #expect(response.text.hasPrefix("retry: 2000\n\n"))
        }
    }

    @Test("GET /admin/overview: 403 for a user; for an admin, every status, 30 minutes, the outbox and workers")
    func overview() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let admin = try await api.register("root@example.com")
            let user = try await api.register()
            _ = try await api.createJob(#"{"command":"echo"}"#, token: user.access)
            #expect(try await api.send(.get, "/api/v1/admin/overview", token: user.access).status == .forbidden)
            let response = try await api.send(.get, "/api/v1/admin/overview", token: admin.access)
            #expect(response.status == .ok)
            let body = response.object
            let counts = try #require(body["jobs_by_status"] as? [String: Int])
            #expect(counts == ["scheduled": 0, "queued": 1, "running": 0, "succeeded": 0, "failed": 0, "cancelled": 0])
            #expect((body["finished_per_minute"] as? [[String: Any]])?.count == 30)
            #expect((body["outbox"] as? [String: Any])?["backlog"] as? Int == 1)
            #expect((body["workers"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("/dashboard: the page, its script and its styles, each with a strict Content-Security-Policy")
    func dashboard() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            for (path, type) in [
                ("/dashboard", "text/html"), ("/dashboard/app.js", "text/javascript"),
                ("/dashboard/account.js", "text/javascript"), ("/dashboard/style.css", "text/css"),
            ] {
                let response = try await api.send(.get, path)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix(type) == true, "\(path)")
                let policy = try #require(response.headers[.contentSecurityPolicy])
                #expect(policy.contains("script-src 'self'") && policy.contains("default-src 'none'"))
                #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"))
            }
            let page = try await api.send(.get, "/dashboard").text
            // No inline script or style, and nothing fetched from elsewhere.
            #expect(
                !page.contains("<script>") && !page.contains("style=") && !page.contains("http://") && !page.contains("https://"))
            #expect(page.contains(#"<meta name="cloudtask-trace-url" content="">"#))
            let script = try await api.send(.get, "/dashboard/app.js").text
            // Tokens stay in memory.
            #expect(
                !script.contains("localStorage.") && !script.contains("sessionStorage.") && !script.contains("document.cookie"))
        }
    }
}

extension LiveRoutesTests {
    @Test("/dashboard with a trace viewer configured: its link template is in the page's meta element, escaped")
    func dashboardTraceLink() async throws {
        var test = TestAPI()
        test.settings.traceUIURL = "https://jaeger.example.com/trace/{trace_id}?a=1&b=2"
        try await test.run { (api: APIClient) async throws in
            let page = try await api.send(.get, "/dashboard").text
            #expect(
                page.contains(
                    #"<meta name="cloudtask-trace-url" content="https://jaeger.example.com/trace/{trace_id}?a=1&amp;b=2">"#))
        }
    }
}

/// Waits up to 20 s for `condition` (streams open and close on other tasks; a loaded
/// machine may take its time). Returns as soon as it holds.
func waitUntil(_ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(20)
    while !condition() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
}
