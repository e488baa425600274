import Domain
import Foundation
import Ports
import Testing

enum JobFixtures {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func job(owner: UserID, runAt: Date? = nil, key: String? = nil, at now: Date = t0, command: String = "echo") -> Job {
        Job(
            id: JobID(UUID()), ownerID: owner,
            request: try! JobRequest(command: command, args: ["a b", "ü"], runAt: runAt, name: "fixture ü"),
            idempotencyKey: key, now: now)
    }

    static func dispatch(_ job: Job) -> OutboxMessage {
        .dispatch(JobDispatch(eventID: UUID(), job: job, occurredAt: job.createdAt))
    }

    static func event(_ job: Job, _ kind: JobEvent.Kind, worker: String = "w1") -> JobEvent {
        JobEvent(
            eventID: UUID(), jobID: job.id, attempt: job.status == .running ? job.attempts : job.attempts + 1,
            workerID: worker, occurredAt: t0, kind: kind)
    }
}

struct Boom: Error {}

@Suite("Contract: JobRepository")
struct JobRepositoryContract {
    let owner = UserID(UUID())

    @Test("a created job reads back exactly", arguments: Adapters.jobStores)
    func roundTrip(adapter: Adapter<any JobRepository & Outbox & JobStatistics>) async throws {
        let owner = self.owner
        try await adapter.run { (store: any JobRepository & Outbox & JobStatistics) async throws in
            let job = JobFixtures.job(owner: owner, key: "key-1")
            #expect(try await store.create(job, dispatch: JobFixtures.dispatch(job), unfinishedLimit: 10) == .created(job))
            #expect(try await store.job(id: job.id) == job)
            #expect(try await store.job(owner: owner, idempotencyKey: "key-1") == job)
            #expect(try await store.job(owner: UserID(UUID()), idempotencyKey: "key-1") == nil)
            #expect(try await store.output(of: job.id) == JobOutput())
            #expect(try await store.job(id: JobID(UUID())) == nil)
        }
    }

    @Test("a job's trace context is stored with it, and its dispatch in the outbox carries it", arguments: Adapters.jobStores)
    func traceContext(adapter: Adapter<any JobRepository & Outbox & JobStatistics>) async throws {
        let owner = self.owner
        try await adapter.run { (store: any JobRepository & Outbox & JobStatistics) async throws in
            let trace = try #require(TraceParent(header: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
            let plain = JobFixtures.job(owner: owner)
            let job = Job(
                id: JobID(UUID()), ownerID: owner, request: try JobRequest(command: "echo"), idempotencyKey: nil,
                now: JobFixtures.t0, trace: trace)
            let dispatch = JobFixtures.dispatch(job)
            #expect(try await store.create(job, dispatch: dispatch, unfinishedLimit: 10) == .created(job))
            #expect(try await store.job(id: job.id)?.trace == trace)
            let published = PublishedMessages()
            _ = try await store.relay(limit: 10) { published.append($0) }
            #expect(published.all.contains(dispatch))
            if case .dispatch(let stored) = published.all.first(where: { $0.jobID == job.id }) {
                #expect(stored.trace == trace)
            }
            #expect(plain.trace == nil)
        }
    }

    @Test(
        "a job's input files read back in order, and its dispatch names each by its owner's object key",
        arguments: Adapters.jobStores)
    func inputs(adapter: Adapter<any JobRepository & Outbox & JobStatistics>) async throws {
        let owner = self.owner
        try await adapter.run { (store: any JobRepository & Outbox & JobStatistics) async throws in
            let files = [UUID(), UUID()]
            let inputs = [JobInput(file: files[0], path: "in/z ü+%.csv"), JobInput(file: files[1], path: "a")]
            let job = Job(
                id: JobID(UUID()), ownerID: owner, request: try JobRequest(command: "cat", inputs: inputs),
                idempotencyKey: nil, now: JobFixtures.t0)
            let dispatch = JobFixtures.dispatch(job)
            #expect(try await store.create(job, dispatch: dispatch, unfinishedLimit: 10) == .created(job))
            #expect(try await store.job(id: job.id)?.inputs == inputs)
            let published = PublishedMessages()
            _ = try await store.relay(limit: 10) { published.append($0) }
            guard case .dispatch(let stored) = published.all.first(where: { $0.jobID == job.id }) else {
                Issue.record("the job's dispatch was not relayed")
                return
            }
            let keys = files.map { InputRules.objectKey(owner: owner, file: $0) }
            #expect(
                stored.inputs == [InputPlacement(key: keys[0], path: "in/z ü+%.csv"), InputPlacement(key: keys[1], path: "a")])
        }
    }

    @Test(
        "the files in use are those an unfinished job names: not a final job's, not one nobody names",
        arguments: Adapters.jobStores)
    func filesInUse(adapter: Adapter<any JobRepository & Outbox & JobStatistics>) async throws {
        let owner = self.owner
        try await adapter.run { (store: any JobRepository & Outbox & JobStatistics) async throws in
            let (shared, finishedOnly, running, unnamed) = (UUID(), UUID(), UUID(), UUID())
            func create(_ files: [UUID]) async throws -> Job {
                let job = Job(
                    id: JobID(UUID()), ownerID: owner,
                    request: try JobRequest(
                        command: "cat", inputs: files.enumerated().map { JobInput(file: $1, path: "in/\($0)") }),
                    idempotencyKey: nil, now: JobFixtures.t0)
                _ = try await store.create(job, dispatch: nil, unfinishedLimit: 10)
                return job
            }
            let finished = try await create([shared, finishedOnly])
            _ = try await create([running, shared])
            try await store.update([finished.id]) { changes in
                _ = try changes.jobs[finished.id]!.requestStop(now: JobFixtures.t0)
            }
            #expect(try await store.filesInUse(among: [shared, finishedOnly, running, unnamed]) == [shared, running])
            #expect(try await store.filesInUse(among: [finishedOnly, unnamed]) == [])
            #expect(try await store.filesInUse(among: []) == [])
        }
    }

    @Test("an idempotency key is unique per owner", arguments: Adapters.jobStores)
    func idempotency(adapter: Adapter<any JobRepository & Outbox & JobStatistics>) async throws {
        let owner = self.owner
        try await adapter.run { (store: any JobRepository & Outbox & JobStatistics) async throws in
            let first = JobFixtures.job(owner: owner, key: "same")
            _ = try await store.create(first, dispatch: JobFixtures.dispatch(first), unfinishedLimit: 10)
            let again = JobFixtures.job(owner: owner, key: "same")
            #expect(try await store.create(again, dispatch: JobFixtures.dispatch(again), unfinishedLimit: 10) == .existing(first))
            let someoneElse = JobFixtures.job(owner: UserID(UUID()), key: "same")
            #expect(try await store.create(someoneElse, dispatch: nil, unfinishedLimit: 10) == .created(someoneElse))
            // Only the first job's dispatch went to the outbox for this owner.
            #expect(try await store.backlog(now: JobFixtures.t0).count == 1)
        }
    }

    @Test("the unfinished-jobs limit holds, also under concurrent creates", arguments: Adapters.jobStores)
    func unfinishedLimit(adapter: Adapter<any JobRepository & Outbox & JobStatistics>) async throws {
        let owner = self.owner
        try await adapter.run { (store: any JobRepository & Outbox & JobStatistics) async throws in
            let outcomes = try await withThrowingTaskGroup(of: JobCreation.self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        let job = JobFixtures.job(owner: owner)
                        return try await store.create(job, dispatch: JobFixtures.dispatch(job), unfinishedLimit: 5)
                    }
                }
                return try await group.reduce(into: [JobCreation]()) { $0.append($1) }
            }
            #expect(outcomes.filter { if case .created = $0 { true } else { false } }.count == 5)
            #expect(outcomes.filter { $0 == .tooManyUnfinished(limit: 5) }.count == 7)
            // Finishing one frees a place.
            let any = try #require(try await store.list(JobQuery(owner: owner, status: nil, limit: 1, after: nil)).first)
            try await store.update([any.id]) { changes in _ = try changes.jobs[any.id]!.requestStop(now: JobFixtures.t0) }
            let next = JobFixtures.job(owner: owner)
            #expect(try await store.create(next, dispatch: nil, unfinishedLimit: 5) == .created(next))
        }
    }

    @Test(
        "concurrent creates of several owners: one job per key, each stored with its one dispatch", arguments: Adapters.jobStores)
    func concurrentCreates(adapter: Adapter<any JobRepository & Outbox & JobStatistics>) async throws {
        let owners = (0..<3).map { _ in UserID(UUID()) }
        try await adapter.run { (store: any JobRepository & Outbox & JobStatistics) async throws in
            // 3 owners × (10 keyed creates sharing 2 keys + 10 unkeyed), all at once.
            let outcomes = try await withThrowingTaskGroup(of: (UserID, String?, Job, JobCreation).self) { group in
                for owner in owners {
                    for index in 0..<20 {
                        group.addTask {
                            let key: String? = index < 10 ? "key-\(index % 2)" : nil
                            let job = JobFixtures.job(owner: owner, key: key)
                            return (
                                owner, key, job,
                                try await store.create(job, dispatch: JobFixtures.dispatch(job), unfinishedLimit: 100)
                            )
                        }
                    }
                }
                return try await group.reduce(into: [(UserID, String?, Job, JobCreation)]()) { $0.append($1) }
            }
            var created: [Job] = []
            for owner in owners {
                for key in ["key-0", "key-1"] {
                    let answers = outcomes.filter { $0.0 == owner && $0.1 == key }.map(\.3)
                    let made = answers.compactMap { if case .created(let job) = $0 { job } else { nil } }
                    #expect(made.count == 1, "one job for \(key)")
                    #expect(answers.allSatisfy { $0 == .created(made[0]) || $0 == .existing(made[0]) })
                }
                let unkeyed = outcomes.filter { $0.0 == owner && $0.1 == nil }
                #expect(unkeyed.allSatisfy { $0.3 == .created($0.2) })
            }
            for outcome in outcomes { if case .created(let job) = outcome.3 { created.append(job) } }
            #expect(created.count == 3 * 12)
            for job in created { #expect(try await store.job(id: job.id) == job) }
            let backlog = try await store.backlog(now: JobFixtures.t0)
            #expect(backlog.count == created.count)
        }
    }

    @Test("listing is newest first, filtered, and keyset pages never skip or repeat", arguments: Adapters.jobStores)
    func listing(adapter: Adapter<any JobRepository & Outbox & JobStatistics>) async throws {
        let owner = self.owner
        try await adapter.run { (store: any JobRepository & Outbox & JobStatistics) async throws in
            var made: [Job] = []
            for index in 0..<7 {
                // Two share each timestamp, so the id breaks ties.
                let job = JobFixtures.job(owner: owner, at: JobFixtures.t0.addingTimeInterval(Double(index / 2)))
                _ = try await store.create(job, dispatch: nil, unfinishedLimit: 100)
                made.append(job)
            }
            let stranger = JobFixtures.job(owner: UserID(UUID()))
            _ = try await store.create(stranger, dispatch: nil, unfinishedLimit: 100)
            let expected = made.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }.map(\.id)

            var seen: [JobID] = []
            var cursor: JobCursor?
            repeat {
                let page = try await store.list(JobQuery(owner: owner, status: nil, limit: 3, after: cursor))
                seen += page.map(\.id)
                cursor = page.count == 3 ? JobCursor(createdAt: page.last!.createdAt, id: page.last!.id) : nil
                // Jobs created while paging sort before the cursor and do not disturb it.
                _ = try await store.create(
                    JobFixtures.job(owner: owner, at: JobFixtures.t0.addingTimeInterval(100)), dispatch: nil, unfinishedLimit: 100
                )
            } while cursor != nil
            #expect(seen == expected)

            let all = try await store.list(JobQuery(owner: nil, status: nil, limit: 100, after: nil))
            #expect(all.contains { $0.id == stranger.id } && all.count == 7 + 1 + 3)
            let first = made[0].id
            _ = try await store.update([first]) { changes in _ = try changes.jobs[first]!.requestStop(now: JobFixtures.t0) }
            let cancelled = try await store.list(JobQuery(owner: owner, status: .cancelled, limit: 100, after: nil))
            #expect(cancelled.map(\.id) == [first])
        }
    }

    @Test("update writes what the body changed, and nothing when it throws", arguments: Adapters.jobStores)
    func update(adapter: Adapter<any JobRepository & Outbox & JobStatistics>) async throws {
        let owner = self.owner
        try await adapter.run { (store: any JobRepository & Outbox & JobStatistics) async throws in
            let job = JobFixtures.job(owner: owner)
            _ = try await store.create(job, dispatch: nil, unfinishedLimit: 10)
            await #expect(throws: Boom.self) {
                try await store.update([job.id]) { changes in
                    _ = changes.jobs[job.id]!.apply(JobFixtures.event(job, .started), now: JobFixtures.t0) { _ in 1 }
                    changes.recordOutput(for: job.id, reset: false, append: OutputChunk(stdout: "never"))
                    changes.outbox.append(JobFixtures.dispatch(job))
                    throw Boom()
                }
            }
            #expect(try await store.job(id: job.id) == job)
            #expect(try await store.output(of: job.id) == JobOutput())
            #expect(try await store.backlog(now: JobFixtures.t0).count == 0)

            let missing = JobID(UUID())
            let seen = try await store.update([job.id, missing]) { changes in
                _ = changes.jobs[job.id]!.apply(JobFixtures.event(job, .started), now: JobFixtures.t0) { _ in 1 }
                return Set(changes.jobs.keys)
            }
            #expect(seen == [job.id])
            let stored = try #require(try await store.job(id: job.id))
            #expect(stored.status == .running && stored.attempts == 1 && stored.workerID == "w1" && stored.version == 2)
        }
    }

    @Test("output: appends in order, resets on a new delivery, dedupes by offset, caps per stream", arguments: Adapters.jobStores)
    func output(adapter: Adapter<any JobRepository & Outbox & JobStatistics>) async throws {
        let owner = self.owner
        try await adapter.run { (store: any JobRepository & Outbox & JobStatistics) async throws in
            let job = JobFixtures.job(owner: owner)
            _ = try await store.create(job, dispatch: nil, unfinishedLimit: 10)
            try await store.update([job.id]) { changes in
                changes.recordOutput(for: job.id, reset: false, append: OutputChunk(stdout: "old"))
                changes.recordOutput(for: job.id, reset: true, append: OutputChunk(stdout: "hé", stderr: "e1"))
                changes.recordOutput(for: job.id, reset: false, append: OutputChunk(stdout: "llo", stdoutOffset: 3))
                changes.recordOutput(for: job.id, reset: false, append: OutputChunk(stdout: "llo", stdoutOffset: 3))
            }
            #expect(try await store.output(of: job.id) == JobOutput(stdout: "héllo", stderr: "e1", truncated: false))
            // The adapters under test cap at 64 bytes per stream.
            try await store.update([job.id]) { changes in
                changes.recordOutput(
                    for: job.id, reset: false, append: OutputChunk(stdout: String(repeating: "x", count: 100), stdoutOffset: 6))
            }
            let capped = try #require(try await store.output(of: job.id))
            #expect(capped.stdout.utf8.count == 64 && capped.truncated && capped.stderr == "e1")
        }
    }

    @Test(
        "output the store cannot hold (NUL) is refused as such, not as an outage, and changes nothing",
        arguments: Adapters.jobStores)
    func refusedOutput(adapter: Adapter<any JobRepository & Outbox & JobStatistics>) async throws {
        let owner = self.owner
        try await adapter.run { (store: any JobRepository & Outbox & JobStatistics) async throws in
            let job = JobFixtures.job(owner: owner)
            _ = try await store.create(job, dispatch: nil, unfinishedLimit: 10)
            await #expect(throws: PortError.rejected) {
                try await store.update([job.id]) { changes in
                    _ = try changes.jobs[job.id]?.requestStop(now: JobFixtures.t0)
                    changes.recordOutput(for: job.id, reset: false, append: OutputChunk(stdout: "x\u{0}y"))
                }
            }
            #expect(try await store.job(id: job.id) == job)
            #expect(try await store.output(of: job.id) == JobOutput())
        }
    }

    @Test("times read back as the API writes them: the same millisecond as when created", arguments: Adapters.jobStores)
    func millisecondsRoundTrip(adapter: Adapter<any JobRepository & Outbox & JobStatistics>) async throws {
        let owner = self.owner
        try await adapter.run { (store: any JobRepository & Outbox & JobStatistics) async throws in
            for step in 0..<200 {
                // Times of every millisecond of a second, with what the wall clock adds below it.
                let now = JobFixtures.t0.addingTimeInterval(Double(step) * 0.005 + 0.000_731)
                let job = JobFixtures.job(owner: owner, runAt: now.addingTimeInterval(0.4567), at: now)
                _ = try await store.create(job, dispatch: nil, unfinishedLimit: 1000)
                let stored = try #require(try await store.job(id: job.id))
                #expect(stored.createdAt.wholeMilliseconds == job.createdAt.wholeMilliseconds)
                #expect(stored.runAt.wholeMilliseconds == job.runAt.wholeMilliseconds)
                #expect(stored.updatedAt.wholeMilliseconds == job.updatedAt.wholeMilliseconds)
            }
        }
    }

    @Test("updateDue claims only scheduled jobs whose time has come", arguments: Adapters.jobStores)
    func due(adapter: Adapter<any JobRepository & Outbox & JobStatistics>) async throws {
        let owner = self.owner
        try await adapter.run { (store: any JobRepository & Outbox & JobStatistics) async throws in
            let soon = JobFixtures.job(owner: owner, runAt: JobFixtures.t0.addingTimeInterval(10))
            let later = JobFixtures.job(owner: owner, runAt: JobFixtures.t0.addingTimeInterval(1000))
            let queued = JobFixtures.job(owner: owner)
            for job in [soon, later, queued] { _ = try await store.create(job, dispatch: nil, unfinishedLimit: 10) }
            let now = JobFixtures.t0.addingTimeInterval(20)
            let claimed = try await store.updateDue(now: now, limit: 10) { changes in
                for id in changes.jobs.keys {
                    try changes.jobs[id]!.promote(now: now)
                    changes.outbox.append(JobFixtures.dispatch(changes.jobs[id]!))
                }
                return Array(changes.jobs.keys)
            }
            #expect(claimed == [soon.id])
            #expect(try await store.job(id: soon.id)?.status == .queued)
            #expect(try await store.job(id: later.id)?.status == .scheduled)
            #expect(try await store.backlog(now: now).count == 1)
            // Nothing is due twice.
            #expect(try await store.updateDue(now: now, limit: 10) { $0.jobs.count } == 0)
        }
    }

    @Test("concurrent updates of one job serialise: none is lost", arguments: Adapters.jobStores)
    func serialised(adapter: Adapter<any JobRepository & Outbox & JobStatistics>) async throws {
        let owner = self.owner
        try await adapter.run { (store: any JobRepository & Outbox & JobStatistics) async throws in
            let job = JobFixtures.job(owner: owner)
            _ = try await store.create(job, dispatch: nil, unfinishedLimit: 10)
            try await store.update([job.id]) { changes in
                _ = changes.jobs[job.id]!.apply(JobFixtures.event(job, .started), now: JobFixtures.t0) { _ in 1 }
            }
            // Three other workers report a start at once: each must see the others' writes,
            // so the deliveries count 2, 3, and then the job fails worker_lost.
            let effects = try await withThrowingTaskGroup(of: EventEffect.self) { group in
                for worker in ["w2", "w3", "w4"] {
                    group.addTask {
                        try await store.update([job.id]) { changes in
                            let event = JobEvent(
                                eventID: UUID(), jobID: job.id, attempt: 1, workerID: worker,
                                occurredAt: JobFixtures.t0, kind: .started)
                            return changes.jobs[job.id]!.apply(event, now: JobFixtures.t0) { _ in 1 }
                        }
                    }
                }
                return try await group.reduce(into: [EventEffect]()) { $0.append($1) }
            }
            #expect(effects.filter { $0 == .restarted }.count == 2)
            #expect(effects.filter { $0 == .workerLost }.count == 1)
            let stored = try #require(try await store.job(id: job.id))
            #expect(stored.status == .failed && stored.failure?.code == .workerLost)
        }
    }

    @Test(
        "a run's usage is stored with its outcome, a job's limits with it, and neither is invented", arguments: Adapters.jobStores
    )
    func usage(adapter: Adapter<any JobRepository & Outbox & JobStatistics>) async throws {
        let owner = self.owner
        try await adapter.run { (store: any JobRepository & Outbox & JobStatistics) async throws in
            let job = JobFixtures.job(owner: owner)
            _ = try await store.create(job, dispatch: nil, unfinishedLimit: 10)
            let usage = ResourceUsage(
                cpuUserSeconds: 0.125, cpuSystemSeconds: 0.0625, memoryPeakBytes: 3 << 30, tasksPeak: 17, ioReadBytes: 1 << 33,
                ioWriteBytes: 4096)
            let finish = JobEvent(
                eventID: UUID(), jobID: job.id, attempt: 1, workerID: "w1", occurredAt: JobFixtures.t0,
                kind: .finished(.succeeded, output: OutputChunk()), usage: usage)
            try await store.update([job.id]) { changes in
                _ = changes.jobs[job.id]!.apply(finish, now: JobFixtures.t0) { _ in 1 }
            }
            #expect(try await store.job(id: job.id)?.usage == usage)
            let plain = JobFixtures.job(owner: owner)
            _ = try await store.create(plain, dispatch: nil, unfinishedLimit: 10)
            #expect(try await store.job(id: plain.id)?.usage == nil)
            #expect(try await store.job(id: plain.id)?.limits == nil)
            let limits = RunLimits(memoryBytes: 3 << 30, cpu: 0.75, tasks: 12)
            let limited = Job(
                id: JobID(UUID()), ownerID: owner, request: try JobRequest(command: "echo"), idempotencyKey: nil,
                now: JobFixtures.t0, defaultLimits: limits)
            _ = try await store.create(limited, dispatch: nil, unfinishedLimit: 10)
            #expect(try await store.job(id: limited.id)?.limits == limits)
        }
    }

    @Test(
        "a job's declared artifacts read back; a finish's records replace the earlier ones, in order, and go with the job",
        arguments: Adapters.jobStores)
    func artifacts(adapter: Adapter<any JobRepository & Outbox & JobStatistics>) async throws {
        let owner = self.owner
        try await adapter.run { (store: any JobRepository & Outbox & JobStatistics) async throws in
            let job = Job(
                id: JobID(UUID()), ownerID: owner,
                request: try JobRequest(command: "echo", artifacts: ["out/z.txt", "a ü+%.csv"]), idempotencyKey: nil,
                now: JobFixtures.t0)
            _ = try await store.create(job, dispatch: nil, unfinishedLimit: 10)
            #expect(try await store.job(id: job.id)?.artifacts == ["out/z.txt", "a ü+%.csv"])
            #expect(try await store.artifacts(of: job.id) == [])
            let digest = String(repeating: "0f", count: 32)
            let first: [JobArtifact] = [
                .kept("out/z.txt", attempt: 1, size: 0, sha256: digest),
                .missing("a ü+%.csv", attempt: 1, because: "was not found"),
            ]
            try await store.update([job.id]) { $0.artifacts[job.id] = first }
            #expect(try await store.artifacts(of: job.id) == first)
            let second: [JobArtifact] = [
                .missing("out/z.txt", attempt: 2, because: "is a symbolic link, which is not followed"),
                .kept("a ü+%.csv", attempt: 2, size: 1 << 40, sha256: digest),
            ]
            try await store.update([job.id]) { $0.artifacts[job.id] = second }
            #expect(try await store.artifacts(of: job.id) == second)
            // A change that throws writes none of it.
            await #expect(throws: Boom.self) {
                try await store.update([job.id]) { changes in
                    changes.artifacts[job.id] = []
                    throw Boom()
                }
            }
            #expect(try await store.artifacts(of: job.id) == second)
            try await store.update([job.id]) { changes in _ = try changes.jobs[job.id]!.requestStop(now: JobFixtures.t0) }
            // Retention takes a job with artifacts only once its objects are cleared.
            let later = JobFixtures.t0.addingTimeInterval(1)
            #expect(try await store.finishedWithArtifacts(before: later, limit: 10) == [job.id])
            #expect(try await store.finishedWithArtifacts(before: JobFixtures.t0, limit: 10) == [])
            #expect(try await store.purgeFinished(before: later) == 0)
            #expect(try await store.purgeFinished(before: later, cleared: [job.id]) == 1)
            #expect(try await store.artifacts(of: job.id) == [])
        }
    }

    @Test("purge deletes final jobs older than the cutoff, and their output", arguments: Adapters.jobStores)
    func purge(adapter: Adapter<any JobRepository & Outbox & JobStatistics>) async throws {
        let owner = self.owner
        try await adapter.run { (store: any JobRepository & Outbox & JobStatistics) async throws in
            let old = JobFixtures.job(owner: owner)
            let live = JobFixtures.job(owner: owner)
            for job in [old, live] { _ = try await store.create(job, dispatch: nil, unfinishedLimit: 10) }
            try await store.update([old.id]) { changes in _ = try changes.jobs[old.id]!.requestStop(now: JobFixtures.t0) }
            #expect(try await store.purgeFinished(before: JobFixtures.t0) == 0)
            #expect(try await store.purgeFinished(before: JobFixtures.t0.addingTimeInterval(1)) == 1)
            #expect(try await store.job(id: old.id) == nil)
            #expect(try await store.output(of: old.id) == nil)
            #expect(try await store.job(id: live.id) != nil)
        }
    }
}
