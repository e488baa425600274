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
            artifacts: ObjectStoreArtifactSink(store: store), artifactMaxBytes: maxBytes)
    }

    func dispatch(_ script: String, artifacts: [String]) -> JobDispatch {
        JobDispatch(
            eventID: UUID(), jobID: JobID(UUID()), attempt: 2, command: "sh", args: ["-c", script], priority: 0,
            timeoutSeconds: 30, occurredAt: Date(), artifacts: artifacts)
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
