import APIModels
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// The job types the API and the `cloudtask` client share (`APIModels`) against what the
/// API actually writes and what its OpenAPI document says: a field added to one and not
/// the others fails here.
@Suite("HTTP: the shared job types")
struct SharedModelTests {
    static func schema(_ name: String) throws -> [String: Any] {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(openAPIDocument())) as? [String: Any])
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        return try #require(schemas[name] as? [String: Any])
    }

    static func openAPIDocument() -> [UInt8] {
        // The document the API serves (GET /openapi.json).
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../Sources/HTTP/openapi.json")
        return Array((try? Data(contentsOf: path)) ?? Data())
    }

    @Test("the job the API writes decodes as JobResource, and has exactly its keys, each present")
    func jobResponse() async throws {
        try await TestAPI().run { client in
            let token = try await client.register().access
            let created = try await client.send(.post, "/api/v1/jobs", json: #"{"command":"echo","args":["hi"]}"#, token: token)
            let body = Data(created.body.readableBytesView)
            let job = try JSONDecoder().decode(JobResource.self, from: body)
            #expect(job.command == "echo" && job.args == ["hi"] && job.status == "queued" && job.error == nil)
            let keys = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any]).keys
            #expect(Set(keys) == Set(JobResource.CodingKeys.allCases.map(\.rawValue)))
        }
    }

    @Test("the OpenAPI document names the same fields as the shared types")
    func openAPI() throws {
        let job = try #require(try Self.schema("Job")["properties"] as? [String: Any])
        #expect(Set(job.keys) == Set(JobResource.CodingKeys.allCases.map(\.rawValue)))
        let submission = try #require(try Self.schema("CreateJobRequest")["properties"] as? [String: Any])
        #expect(Set(submission.keys) == JobSubmission.fieldNames)
    }

    @Test("what the client sends is what the API accepts: a submission round-trips through its wire form")
    func submission() throws {
        let sent = JobSubmission(
            command: "sleep", args: ["1"], priority: 3, runAt: "2030-01-01T00:00:00Z", timeoutSeconds: 60,
            maxAttempts: 2, name: "nightly", limits: .init(memoryBytes: 1 << 28, cpu: 0.5, tasks: 16), notify: true,
            artifacts: ["out/report.txt"],
            inputs: [.init(file: "0b7e9a52-3f1c-4c8e-9a57-2f4a0c6d1e3b", path: "in/data.csv")])
        let wire = try JSONEncoder().encode(sent)
        let keys = try #require(try JSONSerialization.jsonObject(with: wire) as? [String: Any]).keys
        #expect(Set(keys) == JobSubmission.fieldNames)
        #expect(try JSONDecoder().decode(JobSubmission.self, from: wire) == sent)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(JobSubmission.self, from: Data(#"{"command":"x","priority":1.5}"#.utf8))
        }
    }
}
