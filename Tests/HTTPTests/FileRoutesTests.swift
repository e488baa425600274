import Application
import Crypto
import Domain
import Foundation
import HTTP
import HTTPTypes
import HummingbirdTesting
import Infrastructure
import NIOCore
import Ports
import Testing

/// `POST /files` and a job's `inputs`: the upload kept under its owner with its digest,
/// the size declared and capped before a byte is read, and a job that can name only its
/// owner's files.
@Suite("HTTP: input files")
struct FileRoutesTests {
    /// Uploads `bytes` (the test client sets Content-Length to their count).
    static func upload(_ client: APIClient, _ bytes: [UInt8], token: String) async throws -> TestResponse {
        try await client.client.executeRequest(
            uri: "/api/v1/files", method: .post,
            headers: [.authorization: "Bearer \(token)", .contentType: "application/octet-stream"], body: ByteBuffer(bytes: bytes)
        )
    }

    /// An upload with no body and this Content-Length (nil: none), as a client that
    /// declares one size and sends another, or none at all, would send it.
    static func upload(_ client: APIClient, declaring length: String?, token: String) async throws -> TestResponse {
        var headers: HTTPFields = [.authorization: "Bearer \(token)"]
        if let length { headers[.contentLength] = length }
        return try await client.client.executeRequest(uri: "/api/v1/files", method: .post, headers: headers, body: nil)
    }

    @Test("an upload is kept under its owner, with the SHA-256 of its bytes; a job naming it shows it in its inputs")
    func uploadAndName() async throws {
        let (server, store) = ArtifactRoutesTests.withStore()
        try await server.run { (client: APIClient) async throws in
            let token = try await client.register().access
            let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let response = try await Self.upload(client, bytes, token: token)
            #expect(response.status == .created, "\(response.text)")
            let id = try #require(response.object["id"] as? String)
            let expected = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            #expect(response.object["sha256"] as? String == expected)
            #expect(response.object["size"] as? Int == bytes.count)
            let keys = try await store.list(prefix: "files/").map(\.key)
            #expect(keys.count == 1 && keys[0].hasSuffix("/" + id))
            #expect(try await store.get(keys[0], maxBytes: 1 << 20) == bytes)

            let job = try await client.createJob(
                #"{"command":"echo","args":["in/data.bin"],"inputs":[{"file":"\#(id)","path":"in/data.bin"}]}"#, token: token)
            let inputs = try #require(job["inputs"] as? [[String: Any]])
            #expect(inputs.count == 1 && inputs[0]["file"] as? String == id && inputs[0]["path"] as? String == "in/data.bin")
        }
    }

    @Test(
        "no Content-Length is a 411, one over the cap a 413 before the body is read, a body shorter than declared or empty a 400; nothing is kept"
    )
    func declaredSize() async throws {
        let (server, store) = ArtifactRoutesTests.withStore()
        try await server.run { (client: APIClient) async throws in
            let token = try await client.register().access
            let unsized = try await Self.upload(client, declaring: nil, token: token)
            #expect(unsized.status == .lengthRequired)
            let huge = try await Self.upload(client, declaring: String(1 << 40), token: token)
            #expect(huge.status == .contentTooLarge)
            let short = try await Self.upload(client, declaring: "3", token: token)
            #expect(short.status == .badRequest && short.problemFields == ["body"])
            let empty = try await Self.upload(client, declaring: "0", token: token)
            #expect(empty.status == .badRequest && empty.problemFields == ["body"])
            for length in ["-1", "12abc", "99999999999999999999999", ""] {
                let bad = try await Self.upload(client, declaring: length, token: token)
                #expect(bad.status == .lengthRequired, "Content-Length \(length)")
            }
            #expect(try await store.list(prefix: "files/").isEmpty)
        }
    }

    @Test("uploads are counted per user apart from the API's budget: past the limit a 429 naming it, before the body is read")
    func rateLimited() async throws {
        let (base, store) = ArtifactRoutesTests.withStore()
        var server = base
        server.settings.rateLimits.uploads = RateLimitPolicy(name: "uploads", limit: 2, windowSeconds: 3600)
        try await server.run { (client: APIClient) async throws in
            let alice = try await client.register().access
            let bob = try await client.register().access
            #expect(try await Self.upload(client, [1], token: alice).status == .created)
            // A refused upload counts too: the limit is on requests, not on kept files.
            #expect(try await Self.upload(client, declaring: "0", token: alice).status == .badRequest)
            let limited = try await Self.upload(client, [2], token: alice)
            #expect(limited.status == .tooManyRequests && limited.headers[.retryAfter] != nil)
            #expect(limited.headers[.rateLimitPolicy] == #""uploads";q=2;w=3600"#)
            // The rest of the API, and another user's uploads, go on.
            #expect(try await client.send(.get, "/api/v1/jobs", token: alice).status == .ok)
            #expect(try await Self.upload(client, [3], token: bob).status == .created)
            #expect(try await store.list(prefix: "files/").count == 2)
        }
    }

    @Test("without object storage an upload is a 422 and so is a job with inputs; without a token a 401")
    func refusedWithoutStore() async throws {
        try await TestAPI().run { (client: APIClient) async throws in
            let token = try await client.register().access
            let upload = try await Self.upload(client, Array("abc".utf8), token: token)
            #expect(upload.status == .unprocessableContent)
            #expect((upload.object["detail"] as? String)?.contains("no object storage") == true)
            let job = try await client.send(
                .post, "/api/v1/jobs",
                json: #"{"command":"echo","inputs":[{"file":"\#(UUID().uuidString.lowercased())","path":"a"}]}"#, token: token)
            #expect(job.status == .unprocessableContent)
            let anonymous = try await client.client.executeRequest(
                uri: "/api/v1/files", method: .post, headers: [.contentLength: "3"], body: ByteBuffer(string: "abc"))
            #expect(anonymous.status == .unauthorized)
        }
    }

    @Test(
        "a job can name only its owner's files: someone else's id or an unknown one is a 422; a bad id, path or list a 400 naming the field"
    )
    func inputsChecked() async throws {
        let (server, _) = ArtifactRoutesTests.withStore()
        try await server.run { (client: APIClient) async throws in
            let alice = try await client.register().access
            let bob = try await client.register().access
            let upload = try await Self.upload(client, Array("alice's".utf8), token: alice)
            let id = try #require(upload.object["id"] as? String)
            func submit(_ inputs: String, token: String) async throws -> TestResponse {
                try await client.send(.post, "/api/v1/jobs", json: #"{"command":"echo","inputs":\#(inputs)}"#, token: token)
            }
            let stolen = try await submit(#"[{"file":"\#(id)","path":"x"}]"#, token: bob)
            #expect(stolen.status == .unprocessableContent)
            #expect((stolen.object["detail"] as? String)?.contains("inputs[0].file") == true)
            let unknown = try await submit(#"[{"file":"\#(UUID().uuidString.lowercased())","path":"x"}]"#, token: alice)
            #expect(unknown.status == .unprocessableContent)

            let cases: [(String, [String])] = [
                (#"[{"file":"not-a-uuid","path":"x"}]"#, ["inputs[0].file"]),
                (#"[{"file":"\#(id)","path":"../etc/passwd"}]"#, ["inputs[0].path"]),
                (#"[{"file":"\#(id)","path":"/abs"}]"#, ["inputs[0].path"]),
                (#"[{"file":"\#(id)","path":"a"},{"file":"\#(id)","path":"a"}]"#, ["inputs"]),
                (#"[{"file":"\#(id)","path":"a"},{"file":"\#(id)","path":"a/b"}]"#, ["inputs"]),
                ("[" + Array(repeating: #"{"file":"\#(id)","path":"p"}"#, count: 17).joined(separator: ",") + "]", ["inputs"]),
            ]
            for (inputs, fields) in cases {
                let response = try await submit(inputs, token: alice)
                #expect(response.status == .badRequest && response.problemFields == fields, "\(inputs): \(response.text)")
            }
            let unknownMember = try await submit(#"[{"file":"\#(id)","path":"x","mode":"0777"}]"#, token: alice)
            #expect(unknownMember.status == .badRequest)
            let fine = try await submit(#"[{"file":"\#(id)","path":"x"},{"file":"\#(id)","path":"y/x"}]"#, token: alice)
            #expect(fine.status == .created, "\(fine.text)")
        }
    }
}
