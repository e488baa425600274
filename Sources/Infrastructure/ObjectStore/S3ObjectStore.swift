import AsyncHTTPClient
import Crypto
public import Foundation
public import Logging
import NIOCore
import NIOHTTP1
public import Ports

/// Where the S3 adapter sends its requests (`CLOUDTASK_OBJECT_STORE_*`).
public struct S3Settings: Sendable, Hashable {
    /// `https://s3.eu-west-1.amazonaws.com`, `http://127.0.0.1:9000`, …
    public let endpoint: URL
    public let bucket: String
    public let region: String
    public let accessKey: String
    public let secretKey: String
    /// `/bucket/key` on the endpoint's host (servers other than AWS), rather than
    /// `bucket.host/key`.
    public let pathStyle: Bool
    /// Files larger than this go up in parts of this size (S3's minimum is 5 MiB).
    public let partSize: Int

    public init(
        endpoint: URL, bucket: String, region: String, accessKey: String, secretKey: String, pathStyle: Bool,
        partSize: Int = 8 << 20
    ) {
        self.endpoint = endpoint
        self.bucket = bucket
        self.region = region
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.pathStyle = pathStyle
        self.partSize = max(partSize, 5 << 20)
    }
}

/// Objects in S3 (or a server of its protocol), over async-http-client, every request
/// signed with SigV4. No maintained S3 client is on the package mirror (Soto is not), so
/// the few calls the service makes are written here: put (single or multipart), get,
/// head, list (v2, paged), delete, and presigned GET URLs. Idempotent calls are retried
/// with backoff on 5xx, throttling and network errors.
public struct S3ObjectStore: ObjectStore {
    let settings: S3Settings
    let signer: SigV4
    let client: HTTPClient
    let logger: Logger
    let attempts: Int
    let timeout: TimeAmount

    public init(settings: S3Settings, logger: Logger, attempts: Int = 3, timeoutSeconds: Int64 = 60) {
        self.settings = settings
        signer = SigV4(accessKey: settings.accessKey, secretKey: settings.secretKey, region: settings.region)
        client = HTTPClient.shared
        self.logger = logger
        self.attempts = max(1, attempts)
        timeout = .seconds(timeoutSeconds)
    }

    // MARK: addressing

    var scheme: String { settings.endpoint.scheme ?? "https" }

    /// The host header and the encoded path of `key` (nil: the bucket itself).
    func location(_ key: String?) -> (host: String, path: String) {
        let base = settings.endpoint.host ?? "localhost"
        let port = settings.endpoint.port.map { ":\($0)" } ?? ""
        let encodedKey = key.map { "/" + SigV4.encode($0, encodeSlash: false) } ?? "/"
        if settings.pathStyle {
            return ("\(base)\(port)", "/\(SigV4.encode(settings.bucket))" + (key == nil ? "" : encodedKey))
        }
        return ("\(settings.bucket).\(base)\(port)", encodedKey)
    }

    // MARK: the port

    public func put(_ key: String, bytes: [UInt8], contentType: String) async throws -> StoredObject {
        let hash = SHA256.hash(data: bytes).hexString
        _ = try await send("PUT", key: key, headers: [("content-type", contentType)], body: bytes, payloadHash: hash)
        return StoredObject(key: key, size: Int64(bytes.count), sha256: hash)
    }

    public func put(_ key: String, file path: String, contentType: String) async throws -> StoredObject {
        guard let file = SerialFileReader(path: path) else { throw ObjectStoreError.rejected("cannot read \(path)") }
        var whole = SHA256()
        var first = try await file.read(upTo: settings.partSize)
        if first.count < settings.partSize {
            // Small: one request.
            let bytes = Array(first)
            whole.update(data: bytes)
            let hash = whole.finalize().hexString
            _ = try await send("PUT", key: key, headers: [("content-type", contentType)], body: bytes, payloadHash: hash)
            return StoredObject(key: key, size: Int64(bytes.count), sha256: hash)
        }
        let uploadID = try await createMultipart(key, contentType: contentType)
        do {
            var parts: [String] = []
            var size: Int64 = 0
            while !first.isEmpty {
                let bytes = Array(first)
                whole.update(data: bytes)
                size += Int64(bytes.count)
                let response = try await send(
                    "PUT", key: key, query: [("partNumber", String(parts.count + 1)), ("uploadId", uploadID)], body: bytes,
                    payloadHash: SHA256.hash(data: bytes).hexString)
                guard let etag = response.headers.first(name: "etag") else {
                    throw ObjectStoreError.unavailable("a part was stored without an ETag")
                }
                parts.append(etag)
                first = try await file.read(upTo: settings.partSize)
            }
            try await completeMultipart(key, uploadID: uploadID, etags: parts)
            return StoredObject(key: key, size: size, sha256: whole.finalize().hexString)
        } catch {
            // Nothing half-made is left to pay for.
            _ = try? await send("DELETE", key: key, query: [("uploadId", uploadID)])
            throw error
        }
    }

    public func get(_ key: String, maxBytes: Int) async throws -> [UInt8] {
        let response = try await send("GET", key: key, maxResponseBytes: maxBytes)
        return response.body
    }

    public func open(_ key: String) async throws -> ObjectReader {
        var failure = ObjectStoreError.unavailable("no attempt made")
        // Retried like any call until the answer's head has come; the body is the reader's.
        for attempt in 1...attempts {
            do {
                let response = try await start("GET", key: key, deadline: .now() + .hours(1))
                let size = response.headers.first(name: "content-length").flatMap(Int64.init) ?? -1
                let body = ResponseChunks(response.body)
                return ObjectReader(size: size) { try await body.next() }
            } catch let error as ObjectStoreError {
                guard case .unavailable = error else { throw error }
                failure = error
            } catch {
                failure = .unavailable("\(error)")
            }
            if attempt < attempts { try await Task.sleep(for: .milliseconds(200 << (attempt - 1))) }
        }
        throw failure
    }

    public func size(of key: String) async throws -> Int64 {
        let response = try await send("HEAD", key: key)
        guard let length = response.headers.first(name: "content-length").flatMap(Int64.init) else {
            throw ObjectStoreError.unavailable("no Content-Length in a HEAD answer")
        }
        return length
    }

    public func list(prefix: String) async throws -> [ObjectSummary] {
        var found: [ObjectSummary] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", prefix)]
            if let token { query.append(("continuation-token", token)) }
            let response = try await send("GET", key: nil, query: query, maxResponseBytes: 16 << 20)
            let page = S3ListPage(xml: String(decoding: response.body, as: UTF8.self))
            found += page.objects
            token = page.nextToken
        } while token != nil
        return found.sorted { $0.key < $1.key }
    }

    public func delete(_ keys: [String]) async throws {
        for key in keys {
            do {
                _ = try await send("DELETE", key: key)
            } catch ObjectStoreError.notFound {
                continue
            }
        }
    }

    public func presignedURL(for key: String, expiresIn seconds: Int, now: Date) -> URL? {
        let (host, path) = location(key)
        let query = signer.presignedQuery(host: host, path: path, expiresIn: seconds, date: now)
        return URL(string: "\(scheme)://\(host)\(path)?\(query)")
    }

    /// Creates the bucket (for tests and first set-up); one that exists already is fine.
    public func createBucket() async throws {
        let body =
            settings.region == "us-east-1"
            ? []
            : Array(
                """
                <CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>\
                \(settings.region)</LocationConstraint></CreateBucketConfiguration>
                """.utf8)
        do {
            _ = try await send("PUT", key: nil, body: body, payloadHash: SHA256.hash(data: body).hexString)
        } catch ObjectStoreError.rejected(let reason) where reason.contains("BucketAlreadyOwnedByYou") {
            return
        }
    }

    // MARK: multipart

    func createMultipart(_ key: String, contentType: String) async throws -> String {
        let response = try await send("POST", key: key, query: [("uploads", "")], headers: [("content-type", contentType)])
        guard let id = S3ListPage.element("UploadId", in: String(decoding: response.body, as: UTF8.self)) else {
            throw ObjectStoreError.unavailable("no UploadId in the answer to a multipart upload")
        }
        return id
    }

    func completeMultipart(_ key: String, uploadID: String, etags: [String]) async throws {
        let parts = etags.enumerated().map { index, etag in
            "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(S3ListPage.escape(etag))</ETag></Part>"
        }
        let body = Array("<CompleteMultipartUpload>\(parts.joined())</CompleteMultipartUpload>".utf8)
        let response = try await send(
            "POST", key: key, query: [("uploadId", uploadID)], headers: [("content-type", "application/xml")], body: body,
            payloadHash: SHA256.hash(data: body).hexString)
        // S3 may answer 200 with an error document once the parts are assembled.
        if String(decoding: response.body, as: UTF8.self).contains("<Error>") {
            throw ObjectStoreError.unavailable("the multipart upload could not be completed")
        }
    }

    // MARK: requests

    struct Answer {
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]
    }

    /// One signed request, retried with backoff while the failure may pass.
    func send(
        _ method: String, key: String?, query: [(String, String)] = [], headers: [(String, String)] = [],
        body: [UInt8] = [], payloadHash: String = SigV4.emptyPayloadHash, maxResponseBytes: Int = 1 << 20
    ) async throws -> Answer {
        var failure = ObjectStoreError.unavailable("no attempt made")
        for attempt in 1...attempts {
            do {
                return try await once(
                    method, key: key, query: query, headers: headers, body: body, payloadHash: payloadHash,
                    maxResponseBytes: maxResponseBytes)
            } catch let error as ObjectStoreError {
                guard case .unavailable = error else { throw error }
                failure = error
            } catch {
                failure = .unavailable("\(error)")
            }
            if attempt < attempts {
                // 0.2 s, 0.4 s, … with jitter: a store that is briefly down is not hammered.
                let delay = 0.2 * Double(1 << (attempt - 1)) * Double.random(in: 0.5...1)
                try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
            }
        }
        logger.warning("object store unavailable", metadata: ["method": "\(method)", "error": "\(failure)"])
        throw failure
    }

    private func once(
        _ method: String, key: String?, query: [(String, String)], headers: [(String, String)], body: [UInt8],
        payloadHash: String, maxResponseBytes: Int
    ) async throws -> Answer {
        let response = try await start(
            method, key: key, query: query, headers: headers, body: body, payloadHash: payloadHash,
            deadline: .now() + timeout)
        if method == "HEAD" { return Answer(status: Int(response.status.code), headers: response.headers, body: []) }
        let collected: ByteBuffer
        do {
            collected = try await response.body.collect(upTo: maxResponseBytes)
        } catch is NIOTooManyBytesError {
            throw ObjectStoreError.tooLarge(limit: maxResponseBytes)
        }
        return Answer(status: Int(response.status.code), headers: response.headers, body: Array(buffer: collected))
    }

    /// Sends one signed request and returns a 2xx answer with its body still to read;
    /// any other answer is read and turned into the error it stands for.
    private func start(
        _ method: String, key: String?, query: [(String, String)] = [], headers: [(String, String)] = [],
        body: [UInt8] = [], payloadHash: String = SigV4.emptyPayloadHash, deadline: NIODeadline
    ) async throws -> HTTPClientResponse {
        let (host, path) = location(key)
        var signHeaders = headers
        if !body.isEmpty || method == "PUT" || method == "POST" { signHeaders.append(("content-length", String(body.count))) }
        let signed = signer.sign(
            method: method, host: host, path: path, query: query, headers: signHeaders, payloadHash: payloadHash,
            date: Date())
        let queryString = SigV4.canonicalQuery(query)
        var request = HTTPClientRequest(url: "\(scheme)://\(host)\(path)\(queryString.isEmpty ? "" : "?" + queryString)")
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in signed.headers where name != "content-length" { request.headers.add(name: name, value: value) }
        if !body.isEmpty || method == "PUT" || method == "POST" {
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await client.execute(request, deadline: deadline, logger: logger)
        let status = Int(response.status.code)
        if (200..<300).contains(status) { return response }
        let text = method == "HEAD" ? "" : String(buffer: (try? await response.body.collect(upTo: 64 << 10)) ?? ByteBuffer())
        let code = S3ListPage.element("Code", in: text) ?? ""
        switch (status, code) {
        case (404, "NoSuchBucket"): throw ObjectStoreError.bucketMissing
        case (404, _): throw ObjectStoreError.notFound
        case (500..., _), (429, _), (408, _), (_, "SlowDown"), (_, "RequestTimeout"):
            throw ObjectStoreError.unavailable("\(status) \(code)")
        default:
            throw ObjectStoreError.rejected("\(status) \(code.isEmpty ? "(no error code)" : code)")
        }
    }
}

/// The body of an answer, a chunk per `next()`, pulled from the connection as asked.
/// `@unchecked Sendable`: the iterator is used by one reader at a time (ObjectReader's
/// contract: one consumer, `next()` never concurrent).
private final class ResponseChunks: @unchecked Sendable {
    private var iterator: HTTPClientResponse.Body.AsyncIterator

    init(_ body: HTTPClientResponse.Body) { iterator = body.makeAsyncIterator() }

    func next() async throws -> [UInt8]? {
        do {
            return try await iterator.next().map { Array(buffer: $0) }
        } catch {
            throw ObjectStoreError.unavailable("the object store stopped sending: \(error)")
        }
    }
}
