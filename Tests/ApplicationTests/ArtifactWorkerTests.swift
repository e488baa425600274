import Application
import Crypto
import Domain
import Foundation
import Infrastructure
import Ports
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// An object store that is down: every call fails as S3 does after its retries.
struct DownObjectStore: ObjectStore {
    func put(_ key: String, bytes: [UInt8], contentType: String) async throws -> StoredObject {
        throw ObjectStoreError.unavailable("connection refused")
    }
    func put(_ key: String, file path: String, contentType: String) async throws -> StoredObject {
        throw ObjectStoreError.unavailable("connection refused")
    }
    func get(_ key: String, maxBytes: Int) async throws -> [UInt8] { throw ObjectStoreError.unavailable("down") }
    func open(_ key: String) async throws -> ObjectReader { throw ObjectStoreError.unavailable("down") }
    func size(of key: String) async throws -> Int64 { throw ObjectStoreError.unavailable("down") }
    func list(prefix: String) async throws -> [ObjectSummary] { throw ObjectStoreError.unavailable("down") }
    func delete(_ keys: [String]) async throws { throw ObjectStoreError.unavailable("down") }
    func presignedURL(for key: String, expiresIn seconds: Int, now: Date) -> URL? { nil }
}

/// The worker's side of artifacts, with the real process runner: what a hostile program
/// leaves in its working directory is kept only when it is a file of its own, inside the
/// directory, within the limit; the job ends either way.
@Suite("Artifacts: the worker keeps a run's files", .serialized)
struct ArtifactWorkerTests {
    let root: String

    init() throws {
        root = NSTemporaryDirectory() + "cloudtask-artifacts-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        chmod(root, 0o755)
    }

    func runJob(store: any ObjectStore, events: EventLog, maxBytes: Int64 = 1024) -> RunJob {
        var settings = ProcessRunnerSettings(
            allowlist: CommandAllowlist(["sh"]), outputLimitBytes: 1 << 20, stopGraceSeconds: 1, jobUser: "nobody",
            limits: ResourceLimits())
        settings.workRoot = root
        settings.allowJobsAsWorkerUser = true
        return RunJob(
            events: events, stopSignal: InMemoryStopSignal(), stops: StopRegistry(),
            runner: IsolatedProcessRunner(settings: settings), clock: SystemClock(), ids: RandomIDGenerator(),
            allowlist: CommandAllowlist(["sh"]), workerID: "w1", flushInterval: .milliseconds(50),
            artifacts: ObjectStoreArtifactSink(store: store, spool: TemporaryFileSpool(directory: root)),
            artifactMaxBytes: maxBytes)
    }

    func dispatch(_ script: String, artifacts: [String], inputs: [InputPlacement] = []) -> JobDispatch {
        JobDispatch(
            eventID: UUID(), jobID: JobID(UUID()), attempt: 2, command: "sh", args: ["-c", script], priority: 0,
            timeoutSeconds: 30, occurredAt: Date(), artifacts: artifacts, inputs: inputs)
    }

    /// Fetched input files the sink left in its spool: none, once a run is reported.
    var fetchedLeftovers: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { $0.hasPrefix("cloudtask-upload-") }
    }

    /// What the runner left in its spool directory: nothing, once a run is reported.
    var spoolLeftovers: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: root + "/cloudtask-kept")) ?? []
    }

    @Test(
        "a regular file is stored with its size and SHA-256; a symbolic link, a link on the path, a FIFO, a file past the limit and a missing one are refused, each with why"
    )
    func hostileFiles() async throws {
        let store = InMemoryObjectStore()
        let events = EventLog()
        let script = """
            mkdir -p out; printf report > out/report.txt; ln -s /etc/passwd secret; ln -s /etc linked
            mkfifo pipe; head -c 2048 /dev/zero > big
            """
        let names = ["out/report.txt", "secret", "linked/passwd", "pipe", "big", "missing.txt"]
        let job = dispatch(script, artifacts: names)
        let disposition = try await runJob(store: store, events: events)(job)
        #expect(disposition == .reported(.succeeded))
        let finish = try #require(events.all.last)
        guard case .finished(.succeeded, _) = finish.kind else {
            Issue.record("no finish: \(finish.kind)")
            return
        }
        let records = Dictionary(uniqueKeysWithValues: finish.artifacts.map { ($0.name, $0) })
        #expect(finish.artifacts.map(\.name) == names)
        let report = try #require(records["out/report.txt"])
        #expect(report.isKept && report.size == 6 && report.attempt == 2)
        #expect(report.sha256 == SHA256.hash(data: Array("report".utf8)).map { String(format: "%02x", $0) }.joined())
        #expect(records["secret"]?.error == "is a symbolic link, which is not followed")
        #expect(records["linked/passwd"]?.error?.contains("not inside the working directory") == true)
        #expect(records["pipe"]?.error == "is not a regular file")
        #expect(records["big"]?.error == "is larger than the limit of 1024 bytes")
        #expect(records["missing.txt"]?.error == "was not found")
        let key = ArtifactRules.objectKey(job: job.jobID, attempt: 2, name: "out/report.txt")
        #expect(try await store.get(key, maxBytes: 100) == Array("report".utf8))
        #expect(try await store.list(prefix: ArtifactRules.jobPrefix(job.jobID)).map(\.key) == [key])
        #expect(spoolLeftovers.isEmpty, "\(spoolLeftovers)")
    }

    @Test("the object store down during the upload: the job still ends, with the artifact's error named")
    func storeDown() async throws {
        let events = EventLog()
        let job = dispatch("printf data > result.txt; exit 3", artifacts: ["result.txt"])
        let disposition = try await runJob(store: DownObjectStore(), events: events)(job)
        guard case .reported(.failed(exitCode: 3, _)) = disposition else {
            Issue.record("unexpected \(disposition)")
            return
        }
        let artifact = try #require(events.all.last?.artifacts.first)
        #expect(artifact.name == "result.txt" && !artifact.isKept)
        #expect(artifact.error == "the object store was unavailable")
        #expect(spoolLeftovers.isEmpty, "\(spoolLeftovers)")
    }

    @Test("without a sink (no object storage on the worker) nothing is copied and each file says why")
    func noSink() async throws {
        let events = EventLog()
        var settings = ProcessRunnerSettings(
            allowlist: CommandAllowlist(["sh"]), outputLimitBytes: 1 << 20, stopGraceSeconds: 1, jobUser: "nobody",
            limits: ResourceLimits())
        settings.workRoot = root
        settings.allowJobsAsWorkerUser = true
        let run = RunJob(
            events: events, stopSignal: InMemoryStopSignal(), stops: StopRegistry(),
            runner: IsolatedProcessRunner(settings: settings), clock: SystemClock(), ids: RandomIDGenerator(),
            allowlist: CommandAllowlist(["sh"]), workerID: "w1")
        _ = try await run(dispatch("printf x > a", artifacts: ["a"]))
        #expect(
            events.all.last?.artifacts == [.missing("a", attempt: 2, because: "no object storage is configured on the worker")])
        #expect(spoolLeftovers.isEmpty)
    }
}

/// Retention removes a job's objects before the job: a job whose objects cannot be
/// deleted now (the store is down) stays, with its records, for a later round.
@Suite("Artifacts: retention")
struct ArtifactRetentionTests {
    /// A purge with a one-day retention period over the harness's stores and `objects`.
    static func purge(_ harness: Harness, _ objects: any ObjectStore) -> PurgeExpired {
        PurgeExpired(
            jobs: harness.jobs, sessions: harness.sessions, outbox: harness.jobs, audit: harness.audit,
            mfa: harness.mfaStore, clock: harness.clock, retentionDays: 1, auditRetentionDays: 100, objects: objects)
    }

    @Test(
        "an expired job's objects are deleted, then the job; with the store down the job waits; one without artifacts goes as before"
    )
    func retention() async throws {
        let harness = Harness()
        let owner = UserID(UUID())
        let store = InMemoryObjectStore()
        func finishedJob(artifacts: [String]) async throws -> Job {
            let job = Job(
                id: JobID(UUID()), ownerID: owner, request: try JobRequest(command: "echo", artifacts: artifacts),
                idempotencyKey: nil, now: harness.clock.now())
            _ = try await harness.jobs.create(job, dispatch: nil, unfinishedLimit: 100)
            try await harness.jobs.update([job.id]) { changes in
                _ = try changes.jobs[job.id]!.requestStop(now: harness.clock.now())
            }
            return job
        }
        let kept = try await finishedJob(artifacts: ["out.txt"])
        let plain = try await finishedJob(artifacts: [])
        let key = ArtifactRules.objectKey(job: kept.id, attempt: 1, name: "out.txt")
        _ = try await store.put(key, bytes: [1, 2, 3], contentType: "application/octet-stream")
        let other = try await store.put("jobs/someone-else/1/artifacts/x", bytes: [9], contentType: "application/octet-stream")
        harness.clock.advance(2 * 86_400)
        func purge(_ objects: any ObjectStore) -> PurgeExpired { Self.purge(harness, objects) }
        // The store is down: the job without artifacts goes, the other stays with its object.
        #expect(try await purge(DownObjectStore())().jobs == 1)
        #expect(try await harness.jobs.job(id: plain.id) == nil)
        #expect(try await harness.jobs.job(id: kept.id) != nil)
        #expect(try await store.get(key, maxBytes: 10) == [1, 2, 3])
        // Back up: its objects go, then the job; nobody else's object is touched.
        #expect(try await purge(store)().jobs == 1)
        #expect(try await harness.jobs.job(id: kept.id) == nil)
        await #expect(throws: ObjectStoreError.notFound) { try await store.get(key, maxBytes: 10) }
        #expect(try await store.get(other.key, maxBytes: 10) == [9])
    }
}

extension ArtifactRetentionTests {
    @Test(
        "uploads older than the retention period go unless a job that has not ended names them; with the store down none go and the round goes on"
    )
    func uploads() async throws {
        let harness = Harness()
        let owner = UserID(UUID())
        let store = InMemoryObjectStore(clock: harness.clock)
        func upload() async throws -> UUID {
            let file = UUID()
            _ = try await store.put(
                InputRules.objectKey(owner: owner, file: file), bytes: [7], contentType: "application/octet-stream")
            return file
        }
        let (unused, named, namedByFinished) = (try await upload(), try await upload(), try await upload())
        _ = try await store.put("files/not-an-upload", bytes: [1], contentType: "application/octet-stream")
        func create(_ file: UUID) async throws -> Job {
            let job = Job(
                id: JobID(UUID()), ownerID: owner,
                request: try JobRequest(command: "cat", inputs: [JobInput(file: file, path: "in")]),
                idempotencyKey: nil, now: harness.clock.now())
            _ = try await harness.jobs.create(job, dispatch: nil, unfinishedLimit: 100)
            return job
        }
        _ = try await create(named)
        let finished = try await create(namedByFinished)
        try await harness.jobs.update([finished.id]) { _ = try $0.jobs[finished.id]!.requestStop(now: harness.clock.now()) }
        harness.clock.advance(2 * 86_400)
        let fresh = try await upload()
        func purge(_ objects: any ObjectStore) -> PurgeExpired { Self.purge(harness, objects) }
        // The store is down: nothing is deleted, and the rest of the round is done.
        let down = try await purge(DownObjectStore())()
        #expect(down.uploads == 0 && down.jobs == 1)
        #expect(try await purge(store)().uploads == 2)
        let left = try await store.list(prefix: InputRules.uploadsPrefix).map(\.key)
        #expect(
            Set(left)
                == Set([named, fresh].map { InputRules.objectKey(owner: owner, file: $0) } + ["files/not-an-upload"]))
        #expect(try await purge(store)().uploads == 0)
    }
}

/// Full logs: a stream that passes the output cap is kept whole (up to the artifact
/// limit) in object storage; one within it is not stored twice.
@Suite("Full logs: the worker keeps a stream past the cap", .serialized)
struct FullLogWorkerTests {
    @Test(
        "3 MiB on stdout past a 1 MiB cap: the whole stream is stored, stderr within it is not; a log past the limit keeps its first part"
    )
    func fullLog() async throws {
        let worker = try ArtifactWorkerTests()
        for (limit, expected) in [(Int64(8 << 20), 3 << 20), (Int64(2 << 20), 2 << 20)] {
            let store = InMemoryObjectStore()
            let events = EventLog()
            let job = worker.dispatch("head -c 3145728 /dev/zero | tr '\\0' a; echo short >&2", artifacts: [])
            let disposition = try await worker.runJob(store: store, events: events, maxBytes: limit)(job)
            #expect(disposition == .reported(.succeeded))
            let stdout = try await store.get(
                ArtifactRules.logKey(job: job.jobID, attempt: 2, stream: "stdout"), maxBytes: 8 << 20)
            #expect(stdout.count == expected && stdout.allSatisfy { $0 == UInt8(ascii: "a") })
            await #expect(throws: ObjectStoreError.notFound) {
                try await store.get(ArtifactRules.logKey(job: job.jobID, attempt: 2, stream: "stderr"), maxBytes: 100)
            }
            #expect(worker.spoolLeftovers.isEmpty, "\(worker.spoolLeftovers)")
        }
    }
}

/// Input files: fetched from object storage into the worker's spool, placed in the
/// working directory before the program starts, released after the run.
@Suite("Input files: the worker places them before the program starts", .serialized)
struct InputWorkerTests {
    static func printed(_ events: [JobEvent]) -> String {
        events.map { event -> String in
            switch event.kind {
            case .output(let chunk), .finished(_, output: let chunk): chunk.stdout
            case .started: ""
            }
        }.joined()
    }

    @Test("an uploaded file is at its path when the program starts, and the fetched copy is released after the run")
    func placed() async throws {
        let worker = try ArtifactWorkerTests()
        let store = InMemoryObjectStore()
        let key = InputRules.objectKey(owner: UserID(UUID()), file: UUID())
        _ = try await store.put(key, bytes: Array("a,b\n1,2\n".utf8), contentType: "application/octet-stream")
        let events = EventLog()
        let job = worker.dispatch(
            "cat in/data.csv; printf x >> in/data.csv", artifacts: ["in/data.csv"],
            inputs: [InputPlacement(key: key, path: "in/data.csv")])
        #expect(try await worker.runJob(store: store, events: events)(job) == .reported(.succeeded))
        #expect(Self.printed(events.all) == "a,b\n1,2\n")
        // The program may change its copy; the upload stays as it was.
        #expect(try await store.get(key, maxBytes: 100) == Array("a,b\n1,2\n".utf8))
        #expect(events.all.last?.artifacts.first?.size == 9)
        #expect(worker.fetchedLeftovers.isEmpty, "\(worker.fetchedLeftovers)")
    }

    @Test(
        "an input that is gone, too large or behind a store that is down fails the attempt before the program starts, naming the input; nothing fetched is left"
    )
    func notFetched() async throws {
        let worker = try ArtifactWorkerTests()
        let store = InMemoryObjectStore()
        let small = InputRules.objectKey(owner: UserID(UUID()), file: UUID())
        let big = InputRules.objectKey(owner: UserID(UUID()), file: UUID())
        _ = try await store.put(small, bytes: [1, 2, 3], contentType: "application/octet-stream")
        _ = try await store.put(big, bytes: Array(repeating: 7, count: 2048), contentType: "application/octet-stream")
        let gone = InputRules.objectKey(owner: UserID(UUID()), file: UUID())
        let cases: [(any ObjectStore, String, String)] = [
            (store, gone, "input b could not be fetched: the uploaded file is gone"),
            (store, big, "input b could not be fetched: it is larger than this worker takes"),
            (DownObjectStore(), small, "input a could not be fetched: the object store was unavailable"),
        ]
        for (objects, second, message) in cases {
            let events = EventLog()
            let job = worker.dispatch(
                "touch ran", artifacts: ["ran"],
                inputs: [InputPlacement(key: small, path: "a"), InputPlacement(key: second, path: "b")])
            let disposition = try await worker.runJob(store: objects, events: events, maxBytes: 1024)(job)
            let failure = JobFailure(code: .spawnFailed, message: message)
            #expect(disposition == .reported(.failed(exitCode: nil, failure: failure)))
            #expect(!events.all.contains { $0.kind == .started }, "the program never started")
            #expect(worker.fetchedLeftovers.isEmpty, "\(worker.fetchedLeftovers)")
        }
    }
}
