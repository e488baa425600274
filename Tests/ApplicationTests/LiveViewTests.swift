import Application
import Domain
import Foundation
import Infrastructure
import Ports
import Synchronization
import Testing

/// The live views on the in-memory adapters: every write goes through an
/// `AnnouncingJobStore` whose announcements reach the hub, as in a real process.
struct LiveHarness {
    let base = Harness()
    let hub = JobChangeHub()
    var jobs: AnnouncingJobStore { AnnouncingJobStore(base.jobs, publisher: hub) }
    var follow: FollowJob { FollowJob(jobs: jobs, hub: hub, clock: base.clock) }
    var watch: WatchJobs { WatchJobs(hub: hub, clock: base.clock) }
    var record: RecordJobEvents {
        RecordJobEvents(
            jobs: jobs, cache: base.cache, outboxSignal: base.signal, clock: base.clock, ids: base.ids,
            random: FixedRandom(value: 0.5), backoff: base.jobSettings.backoff, stopSignal: base.stopSignal)
    }

    func create(_ caller: AccessClaims, command: String = "echo", maxAttempts: Int = 1) async throws -> Job {
        let create = CreateJob(
            jobs: jobs, outboxSignal: base.signal, clock: base.clock, ids: base.ids, settings: base.jobSettings)
        return try await create(
            caller: caller, request: try JobRequest(command: command, args: [], maxAttempts: maxAttempts),
            idempotencyKey: nil
        ).job
    }

    func report(_ job: JobID, attempt: Int, _ kind: JobEvent.Kind, worker: String = "w1") async throws {
        try await record([
            JobEvent(
                eventID: UUID(), jobID: job, attempt: attempt, workerID: worker,
                occurredAt: base.clock.now(), kind: kind)
        ])
    }

    /// A user's new job, reported started, and a follower reading it from the start.
    func followStartedJob() async throws -> (caller: AccessClaims, job: Job, reading: Task<[JobFeedEvent], any Error>) {
        let caller = try await base.caller(role: .user)
        let job = try await create(caller)
        let follow = try await follow(caller: caller, id: job.id, after: nil)
        let reading = Task { try await LiveHarness.collect(follow) }
        try await report(job.id, attempt: 1, .started)
        return (caller, job, reading)
    }

    /// Reads a follow to its end.
    static func collect(_ follow: JobFollow) async throws -> [JobFeedEvent] {
        var events: [JobFeedEvent] = []
        for try await event in follow.events() where event != .heartbeat { events.append(event) }
        return events
    }
}

extension [JobFeedEvent] {
    var stdout: String {
        compactMap { if case .output(.stdout, let text, _) = $0 { text } else { nil } }.joined()
    }
    var statuses: [JobStatus] {
        compactMap { if case .status(let job, _) = $0 { job.status } else { nil } }
    }
}

@Suite("Live views")
struct LiveViewTests {
    @Test("an event id parses back to its position; anything else is refused")
    func eventIDs() {
        let position = JobFeedPosition(version: 7, attempts: 2, deliveries: 1, stdoutBytes: 120, stderrBytes: 3)
        #expect(position.eventID == "7.2.1.120.3")
        #expect(JobFeedPosition(eventID: position.eventID) == position)
        for bad in ["", "1.2.3.4", "1.2.3.4.5.6", "a.b.c.d.e", "1.2.-3.4.5", "1..3.4.5", "99999999999999999999.1.1.1.1"] {
            #expect(JobFeedPosition(eventID: bad) == nil, "\(bad)")
        }
    }

    @Test("a follower sees the job's output and states in order, and the stream ends after the final status")
    func liveRun() async throws {
        let live = LiveHarness()
        let (_, job, reading) = try await live.followStartedJob()
        for line in ["one\n", "two\n", "three\n"] {
            let offset = try await live.base.jobs.output(of: job.id)?.stdout.utf8.count ?? 0
            try await live.report(job.id, attempt: 1, .output(OutputChunk(stdout: line, stdoutOffset: offset)))
        }
        try await live.report(job.id, attempt: 1, .finished(.succeeded, output: OutputChunk(stderr: "done", stdoutOffset: 14)))
        let events = try await reading.value
        #expect(events.stdout == "one\ntwo\nthree\n")
        #expect(events.statuses.first == .queued)
        #expect(events.statuses.last == .succeeded)
        guard case .status(let last, _) = events.last else {
            Issue.record("the last event is not a status")
            return
        }
        #expect(last.status == .succeeded)
        // Each event's id moves forward.
        let positions = events.compactMap(\.position)
        for (earlier, later) in zip(positions, positions.dropFirst()) {
            #expect(earlier.version <= later.version && earlier.stdoutBytes <= later.stdoutBytes)
            #expect(earlier != later)
        }
    }

    @Test("resuming from any event id gives exactly what came after it: nothing repeated, nothing skipped")
    func resume() async throws {
        let live = LiveHarness()
        // Record the run while a follower watches, so there are many intermediate ids.
        let (caller, job, reading) = try await live.followStartedJob()
        var offset = 0
        for index in 0..<6 {
            let line = "line \(index) ü\n"
            try await live.report(job.id, attempt: 1, .output(OutputChunk(stdout: line, stdoutOffset: offset)))
            offset += line.utf8.count
        }
        try await live.report(job.id, attempt: 1, .finished(.succeeded, output: OutputChunk(stdoutOffset: offset)))
        let events = try await reading.value
        let whole = events.stdout
        #expect(whole == (0..<6).map { "line \($0) ü\n" }.joined())
        for (index, event) in events.enumerated() {
            guard let position = event.position else { continue }
            let rest = try await LiveHarness.collect(try await live.follow(caller: caller, id: job.id, after: position))
            #expect(Array(events.prefix(index + 1)).stdout + rest.stdout == whole, "resumed after event \(index)")
            #expect(!rest.contains { if case .reset = $0 { true } else { false } })
            if index == events.count - 1 {
                #expect(rest.isEmpty)
            } else {
                #expect(rest.statuses.last == .succeeded)
            }
        }
    }

    @Test("a new run starts the output over: a reset, then the new run's output; a retry waiting to run keeps the last")
    func reset() async throws {
        let live = LiveHarness()
        let caller = try await live.base.caller(role: .user)
        let job = try await live.create(caller, maxAttempts: 2)
        try await live.report(job.id, attempt: 1, .started)
        try await live.report(job.id, attempt: 1, .output(OutputChunk(stdout: "first\n")))
        try await live.report(
            job.id, attempt: 1,
            .finished(
                .failed(exitCode: 1, failure: JobFailure(code: .nonzeroExit, message: "exit 1")),
                output: OutputChunk(stdoutOffset: 6)))
        // The retry is not final: read where a follower would stand, without waiting for the end.
        let afterFirst = JobFeedPosition.start.events(toward: try #require(try await live.jobs.snapshot(of: job.id))).events
        #expect(afterFirst.stdout == "first\n")
        #expect(afterFirst.statuses == [.scheduled])
        let held = try #require(afterFirst.last?.position)
        // Nothing new while the retry waits.
        live.base.clock.advance(3600)
        _ = try await live.base.promote(limit: 10)
        try await live.report(job.id, attempt: 2, .started, worker: "w2")
        try await live.report(job.id, attempt: 2, .output(OutputChunk(stdout: "second\n")), worker: "w2")
        try await live.report(job.id, attempt: 2, .finished(.succeeded, output: OutputChunk(stdoutOffset: 7)), worker: "w2")
        let rest = try await LiveHarness.collect(try await live.follow(caller: caller, id: job.id, after: held))
        guard case .reset(let attempt, _) = rest.first else {
            Issue.record("no reset first: \(rest)")
            return
        }
        #expect(attempt == 2)
        #expect(rest.stdout == "second\n")
        #expect(rest.statuses == [.succeeded])
    }

    @Test("someone else's job is not found; an admin may follow it")
    func ownership() async throws {
        let live = LiveHarness()
        let owner = try await live.base.caller(role: .user)
        let other = try await live.base.caller(role: .user)
        let admin = try await live.base.caller(role: .admin)
        let job = try await live.create(owner)
        await #expect(throws: UseCaseError.notFound) { try await live.follow(caller: other, id: job.id, after: nil) }
        await #expect(throws: UseCaseError.notFound) { try await live.follow(caller: owner, id: JobID(UUID()), after: nil) }
        // A refused follow leaves no subscription behind.
        #expect(live.hub.subscriberCount == 0)
        let follow = try await live.follow(caller: admin, id: job.id, after: nil)
        #expect(live.hub.subscriberCount == 1)
        _ = follow
    }

    @Test("a stream ends when the caller's access token expires, and heartbeats come with the hub's ticks")
    func expiry() async throws {
        let live = LiveHarness()
        let caller = try await live.base.caller(role: .user)
        let job = try await live.create(caller)
        let follow = try await live.follow(caller: caller, id: job.id, after: nil)
        let heartbeats = Mutex(0)
        let reading = Task {
            for try await event in follow.events() where event == .heartbeat { heartbeats.withLock { $0 += 1 } }
        }
        try await waitUntil { live.hub.subscriberCount == 1 }
        live.hub.tick()
        try await waitUntil { heartbeats.withLock { $0 } == 1 }
        live.base.clock.advance(901)
        live.hub.tick()
        try await reading.value
        #expect(heartbeats.withLock { $0 } == 1)
        try await waitUntil { live.hub.subscriberCount == 0 }
        #expect(live.hub.subscriberCount == 0)
    }

    @Test("watching: a user sees changes of their own jobs only; an admin may watch everyone's; a user may not")
    func watching() async throws {
        let live = LiveHarness()
        let alice = try await live.base.caller(role: .user)
        let bob = try await live.base.caller(role: .user)
        let admin = try await live.base.caller(role: .admin)
        let alices = try live.watch(caller: alice, allOwners: false)
        let everyone = try live.watch(caller: admin, allOwners: true)
        #expect(throws: UseCaseError.forbidden("only admins may watch every user's jobs")) {
            try live.watch(caller: bob, allOwners: true)
        }
        try await waitUntil { live.hub.subscriberCount == 2 }
        let bobsJob = try await live.create(bob)
        let alicesJob = try await live.create(alice)
        try await live.report(alicesJob.id, attempt: 1, .started)
        // Output alone is not a status change: list views do not hear of it.
        try await live.report(alicesJob.id, attempt: 1, .output(OutputChunk(stdout: "x")))
        try await live.report(alicesJob.id, attempt: 1, .finished(.succeeded, output: OutputChunk(stdoutOffset: 1)))

        var seenByAlice: [JobStatus] = []
        for await event in alices.events {
            guard case .changed(let job) = event else { continue }
            #expect(job.ownerID == alice.userID)
            seenByAlice.append(job.status)
            if job.status.isFinal { break }
        }
        #expect(seenByAlice == [.queued, .running, .succeeded])
        var seenByAdmin: [JobID] = []
        for await event in everyone.events {
            guard case .changed(let job) = event else { continue }
            seenByAdmin.append(job.id)
            if seenByAdmin.count == 4 { break }
        }
        #expect(seenByAdmin == [bobsJob.id, alicesJob.id, alicesJob.id, alicesJob.id])
    }

    @Test("the overview: jobs by status, 30 minutes of finished counts, the outbox, fresh workers only; admins only")
    func overview() async throws {
        let live = LiveHarness()
        let user = try await live.base.caller(role: .user)
        let admin = try await live.base.caller(role: .admin)
        let workers = InMemoryWorkerRegistry()
        let overview = GetOverview(statistics: live.base.jobs, outbox: live.base.jobs, workers: workers, clock: live.base.clock)
        let done = try await live.create(user)
        _ = try await live.create(user)
        try await live.report(done.id, attempt: 1, .finished(.succeeded, output: OutputChunk()))
        let now = live.base.clock.now()
        try await workers.beat(
            WorkerHeartbeat(
                workerID: "fresh", host: "h", roles: ["executor"], concurrency: 4, running: 1,
                startedAt: now, seenAt: now.addingTimeInterval(-5)))
        try await workers.beat(
            WorkerHeartbeat(
                workerID: "gone", host: "h", roles: ["executor"], concurrency: 4, running: 0,
                startedAt: now, seenAt: now.addingTimeInterval(-120)))

        await #expect(throws: UseCaseError.forbidden("only admins may see the overview")) { try await overview(caller: user) }
        let result = try await overview(caller: admin)
        #expect(result.jobsByStatus == [.succeeded: 1, .queued: 1])
        #expect(result.finishedPerMinute.count == GetOverview.throughputMinutes)
        #expect(result.finishedPerMinute.last?.counts == [.succeeded: 1])
        #expect(result.finishedPerMinute.dropLast().allSatisfy { $0.counts.isEmpty })
        #expect(result.outboxBacklog == 2)  // two dispatches, no relay ran
        #expect(result.workers?.map(\.workerID) == ["fresh"])
    }

    @Test("changes from another process come without the job: the feeder reads it once for list views, not for followers")
    func feeder() async throws {
        let live = LiveHarness()
        let alice = try await live.base.caller(role: .user)
        let job = try await live.create(alice)
        let bus = InMemoryJobChangeBus()
        let feeding = Task { await FeedHub(hub: live.hub, source: bus, jobs: live.base.jobs)() }
        let watch = try live.watch(caller: alice, allOwners: false)
        // A notice as Redis carries it: no job. The list view still gets the job, as stored.
        // It is sent again until heard: the feeder subscribes on a task of its own.
        let notice = JobChange(jobID: job.id, ownerID: alice.userID, version: job.version, jobChanged: true, outputChanged: false)
        let stranger = JobChange(
            jobID: JobID(UUID()), ownerID: UserID(UUID()), version: 1, jobChanged: true, outputChanged: false)
        let sending = Task {
            while !Task.isCancelled {
                await bus.publish([stranger, notice])  // someone else's job: no view here wants it
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        let reading = Task { () -> Job? in
            for await event in watch.events { if case .changed(let changed) = event { return changed } }
            return nil
        }
        let timeout = Task {
            try await Task.sleep(for: .seconds(10))
            watch.stop()
        }
        let received = await reading.value
        timeout.cancel()
        sending.cancel()
        #expect(received == job)
        feeding.cancel()
        await feeding.value
    }

    @Test("a subscription ends when its stream is dropped")
    func unsubscribe() async throws {
        let hub = JobChangeHub()
        do {
            let subscription = hub.subscribe(.everyone)
            let task = Task { for await _ in subscription.signals {} }
            try await waitUntil { hub.subscriberCount == 1 }
            task.cancel()
            await task.value
        }
        try await waitUntil { hub.subscriberCount == 0 }
        #expect(hub.subscriberCount == 0)
    }
}

/// Waits up to 20 s for `condition` (a loaded machine may take its time). Returns as
/// soon as it holds.
func waitUntil(_ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(20)
    while !condition() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
}
