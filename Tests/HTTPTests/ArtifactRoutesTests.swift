import Domain
import Foundation
import HTTPTypes
import HummingbirdTesting
import Infrastructure
import NIOCore
import Ports
import Testing

/// `artifacts` in a submission and `/jobs/{id}/artifacts*`: refused without object
/// storage, owner-scoped, the bytes with their digest, and clear answers for a name
/// that is not declared, was not kept or is gone from the store.
@Suite("HTTP: artifacts")
struct ArtifactRoutesTests {
    /// Records a finish of `jobID` with `artifacts`, as the results processor does.
    static func finish(_ api: TestAPI, _ jobID: JobID, artifacts: [JobArtifact]) async throws {
        try await api.jobs.update([jobID]) { changes in
            changes.artifacts[jobID] = artifacts
        }
    }

    /// The API with an in-memory object store, and the store.
    static func withStore() -> (TestAPI, InMemoryObjectStore) {
        let store = InMemoryObjectStore()
        var api = TestAPI()
        api.objectStore = store
        return (api, store)
    }

    @Test("without object storage a job that declares artifacts is a 422 that says so; a bad path is a 400 naming it")
    func refusedWithoutStore() async throws {
        try await TestAPI().run { (api: APIClient) async throws in
            let token = try await api.register().access
            let refused = try await api.send(
                .post, "/api/v1/jobs", json: #"{"command":"echo","artifacts":["out.txt"]}"#, token: token)
            #expect(refused.status == .unprocessableContent)
            #expect((refused.object["detail"] as? String)?.contains("no object storage") == true)
            let plain = try await api.createJob(#"{"command":"echo"}"#, token: token)
            #expect(plain["artifacts"] as? [String] == [])
            let bad = try await api.send(
                .post, "/api/v1/jobs", json: #"{"command":"echo","artifacts":["ok","../etc/passwd"]}"#, token: token)
            #expect(bad.status == .badRequest && bad.problemFields == ["artifacts[1]"])
        }
    }

    @Test(
        "the list shows each declared file kept or not; a download is the bytes with their SHA-256, someone else's job is a 404, a file not kept a 409"
    )
    func listAndDownload() async throws {
        let (server, store) = Self.withStore()
        try await server.run { (client: APIClient) async throws in
            let token = try await client.register().access
            let created = try await client.createJob(
                #"{"command":"echo","artifacts":["out/report v1.txt","missing.bin"]}"#, token: token)
            #expect(created["artifacts"] as? [String] == ["out/report v1.txt", "missing.bin"])
            let id = try #require(created["id"] as? String)
            let jobID = JobID(try #require(UUID(uuidString: id)))
            let empty = try await client.send(.get, "/api/v1/jobs/\(id)/artifacts", token: token)
            #expect(empty.status == .ok && (empty.object["artifacts"] as? [Any])?.isEmpty == true)

            let bytes = Array("hello, artifacts\n".utf8)
            let stored = try await store.put(
                ArtifactRules.objectKey(job: jobID, attempt: 1, name: "out/report v1.txt"), bytes: bytes,
                contentType: "text/plain")
            try await Self.finish(
                server, jobID,
                artifacts: [
                    .kept("out/report v1.txt", attempt: 1, size: stored.size, sha256: stored.sha256),
                    .missing("missing.bin", attempt: 1, because: "was not found"),
                ])
            let list = try await client.send(.get, "/api/v1/jobs/\(id)/artifacts", token: token)
            let items = try #require(list.object["artifacts"] as? [[String: Any]])
            #expect(items.map { $0["name"] as? String } == ["out/report v1.txt", "missing.bin"])
            #expect(items[0]["kept"] as? Bool == true && items[0]["size"] as? Int == bytes.count)
            #expect(items[0]["sha256"] as? String == stored.sha256 && items[0]["error"] is NSNull)
            #expect(items[1]["kept"] as? Bool == false && items[1]["error"] as? String == "was not found")

            let download = try await client.send(.get, "/api/v1/jobs/\(id)/artifacts/out/report%20v1.txt", token: token)
            #expect(download.status == .ok)
            #expect(Array(download.body.readableBytesView) == bytes)
            #expect(download.headers[.contentType] == "application/octet-stream")
            #expect(download.headers[.contentDisposition] == "attachment; filename*=UTF-8''report%20v1.txt")
            #expect(download.headers[HTTPField.Name("X-Checksum-Sha256")!] == stored.sha256)

            let notKept = try await client.send(.get, "/api/v1/jobs/\(id)/artifacts/missing.bin", token: token)
            #expect(notKept.status == .conflict && (notKept.object["detail"] as? String)?.contains("was not found") == true)
            let undeclared = try await client.send(.get, "/api/v1/jobs/\(id)/artifacts/other.txt", token: token)
            #expect(undeclared.status == .notFound)
            let hostile = try await client.send(.get, "/api/v1/jobs/\(id)/artifacts/out/%2E%2E/x", token: token)
            #expect(hostile.status == .badRequest && hostile.problemFields == ["name"])

            let other = try await client.register().access
            for path in ["/api/v1/jobs/\(id)/artifacts", "/api/v1/jobs/\(id)/artifacts/out/report%20v1.txt"] {
                #expect(try await client.send(.get, path, token: other).status == .notFound, "\(path)")
            }
            // Gone from the store (removed by hand): a 409 that says so, never a 500.
            try await store.delete([ArtifactRules.objectKey(job: jobID, attempt: 1, name: "out/report v1.txt")])
            let gone = try await client.send(.get, "/api/v1/jobs/\(id)/artifacts/out/report%20v1.txt", token: token)
            #expect(gone.status == .conflict && (gone.object["detail"] as? String)?.contains("no longer") == true)
        }
    }

    @Test(
        "GET /log: the stored text while it fits (complete), the full log from the store once a cut run has ended, the stored part when none was kept; stream is required"
    )
    func fullLog() async throws {
        let (server, store) = Self.withStore()
        try await server.run { (client: APIClient) async throws in
            let token = try await client.register().access
            let created = try await client.createJob(#"{"command":"echo"}"#, token: token)
            let id = try #require(created["id"] as? String)
            let jobID = JobID(try #require(UUID(uuidString: id)))
            let missing = try await client.send(.get, "/api/v1/jobs/\(id)/log", token: token)
            #expect(missing.status == .badRequest && missing.problemFields == ["stream"])
            let complete = HTTPField.Name("X-Log-Complete")!
            // (Another job: a read caches the job, and this test changes it behind the cache.)
            let fresh = try #require(try await client.createJob(#"{"command":"echo"}"#, token: token)["id"] as? String)
            let empty = try await client.send(.get, "/api/v1/jobs/\(fresh)/log?stream=stdout", token: token)
            #expect(empty.status == .ok && empty.text == "" && empty.headers[complete] == "true")
            // A run that printed past the cap (the store keeps 4 KiB here) and ended.
            let long = String(repeating: "x", count: 6000)
            let started = JobEvent(
                eventID: UUID(), jobID: jobID, attempt: 1, workerID: "w1", occurredAt: Date(), kind: .started)
            let finished = JobEvent(
                eventID: UUID(), jobID: jobID, attempt: 1, workerID: "w1", occurredAt: Date(),
                kind: .finished(.succeeded, output: OutputChunk(stdout: long, stderr: "fine", truncated: true)))
            try await server.jobs.update([jobID]) { changes in
                for event in [started, finished] {
                    let effect = changes.jobs[jobID]!.apply(event, now: Date()) { _ in 1 }
                    changes.recordOutput(for: jobID, reset: effect.resetsOutput, append: effect.appendedOutput)
                }
            }
            let cut = try await client.send(.get, "/api/v1/jobs/\(id)/log?stream=stdout", token: token)
            #expect(cut.status == .ok && cut.text.count == 4096 && cut.headers[complete] == "false")
            _ = try await store.put(
                ArtifactRules.logKey(job: jobID, attempt: 1, stream: "stdout"), bytes: Array(long.utf8), contentType: "text/plain"
            )
            let whole = try await client.send(.get, "/api/v1/jobs/\(id)/log?stream=stdout", token: token)
            #expect(whole.status == .ok && whole.text == long && whole.headers[complete] == "true")
            let stderr = try await client.send(.get, "/api/v1/jobs/\(id)/log?stream=stderr", token: token)
            #expect(stderr.status == .ok && stderr.text == "fine")
            let other = try await client.register().access
            #expect(try await client.send(.get, "/api/v1/jobs/\(id)/log?stream=stdout", token: other).status == .notFound)
        }
    }
}
