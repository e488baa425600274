import APIModels
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// HTTP to the CloudTask API: JSON in and out, problem details turned into `CLIError`s
/// with the server's own words, and access tokens refreshed when they are about to
/// expire or are refused.
struct APIClient {
    let server: String
    let credentials: CredentialStore
    private let session: URLSession

    init(server: String, credentials: CredentialStore) throws {
        guard let url = URL(string: server), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw CLIError(description: "--server must be an http:// or https:// URL")
        }
        self.server = server
        self.credentials = credentials
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 30
        // Redirects are not followed: the one the API sends (a download's presigned URL)
        // must be fetched without the access token, which is for the API alone.
        session = URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }

    struct Response {
        let status: Int
        let body: Data
        /// Header names lower-cased.
        var headers: [String: String] = [:]
        var text: String { String(decoding: body, as: UTF8.self) }

        /// The body as one of the contract's types (`APIModels`).
        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            do {
                return try JSONDecoder().decode(type, from: body)
            } catch {
                throw CLIError(description: "the server sent a \(T.self) this client cannot read")
            }
        }
    }

    /// An unauthenticated request (register, login, refresh).
    func send(_ method: String, _ path: String, json: [String: Any]? = nil) async throws -> Response {
        try await perform(method, path, body: try json.map { try JSONSerialization.data(withJSONObject: $0) }, token: nil)
    }

    /// A request with the stored access token; refreshes it first when it expires within
    /// 30 s, and once more if the server refuses it.
    func authorized(_ method: String, _ path: String, json: [String: Any]? = nil) async throws -> Response {
        try await authorized(method, path, body: try json.map { try JSONSerialization.data(withJSONObject: $0) })
    }

    /// `authorized` with one of the contract's types as the body.
    func authorized(_ method: String, _ path: String, sending value: some Encodable) async throws -> Response {
        try await authorized(method, path, body: try JSONEncoder().encode(value))
    }

    /// `POST path` with the bytes of a local file as the body, streamed from disk with
    /// its length declared (the API refuses an upload without one).
    func upload(_ path: String, file: URL, size: Int64) async throws -> Response {
        try await authorized("POST", path, body: .file(file, size: size))
    }

    private func authorized(_ method: String, _ path: String, body: Data?) async throws -> Response {
        try await authorized(method, path, body: body.map(Body.json))
    }

    private func authorized(_ method: String, _ path: String, body: Body?) async throws -> Response {
        guard var tokens = credentials.tokens(for: server) else {
            throw CLIError(description: "not logged in to \(server): run `cloudtask login` (or `cloudtask register`)")
        }
        if tokens.accessExpiresAt - Date().timeIntervalSince1970 < 30 {
            tokens = try await refresh(presented: tokens.refreshToken)
        }
        let response = try await perform(method, path, body: body, token: tokens.accessToken)
        guard response.status == 401 else { return response }
        tokens = try await refresh(presented: tokens.refreshToken)
        return try await perform(method, path, body: body, token: tokens.accessToken)
    }

    /// What a request carries: JSON, or a file read from disk as it is sent.
    private enum Body {
        case json(Data)
        case file(URL, size: Int64)
    }

    /// A streamed GET with the stored access token (refreshed like `authorized`'s): the
    /// status, then the body as it arrives.
    func stream(_ path: String, headers: [String: String] = [:]) async throws -> (
        status: Int, body: AsyncThrowingStream<Data, any Error>
    ) {
        guard var tokens = credentials.tokens(for: server) else {
            throw CLIError(description: "not logged in to \(server): run `cloudtask login` (or `cloudtask register`)")
        }
        if tokens.accessExpiresAt - Date().timeIntervalSince1970 < 30 {
            tokens = try await refresh(presented: tokens.refreshToken)
        }
        var opened = try await openStream(path, headers: headers, token: tokens.accessToken)
        if opened.status == 401 {
            tokens = try await refresh(presented: tokens.refreshToken)
            opened = try await openStream(path, headers: headers, token: tokens.accessToken)
        }
        return opened
    }

    private func openStream(_ path: String, headers: [String: String], token: String) async throws
        -> (status: Int, body: AsyncThrowingStream<Data, any Error>)
    {
        guard let url = URL(string: server + path) else { throw CLIError(description: "bad path \(path)") }
        var request = URLRequest(url: url)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let delegate = StreamedResponse()
        let configuration = URLSessionConfiguration.ephemeral
        // Heartbeats arrive every 15 s; silence for longer means the stream is gone.
        configuration.timeoutIntervalForRequest = 60
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
        session.dataTask(with: request).resume()
        do {
            for try await status in delegate.status { return (status, delegate.body) }
        } catch {
            throw CLIError(description: "cannot reach \(server): \(error.localizedDescription)")
        }
        throw CLIError(description: "cannot reach \(server): no answer")
    }

    /// Stores the tokens of a token response.
    @discardableResult
    func store(_ response: Response, email: String?) async throws -> CredentialStore.Tokens {
        let tokens = try Self.tokens(from: response, email: email)
        _ = try await credentials.update(server) { _ in tokens }
        return tokens
    }

    /// Exchanges the refresh token under the lock. If another command refreshed while
    /// this one waited, its new tokens are used instead of presenting a spent token
    /// (which the server would take for theft and answer by revoking the session).
    private func refresh(presented: String) async throws -> CredentialStore.Tokens {
        let updated = try await credentials.update(server) { current in
            guard let current else { return nil }
            if current.refreshToken != presented, current.accessExpiresAt - Date().timeIntervalSince1970 > 30 { return current }
            let response = try await send("POST", "/api/v1/auth/refresh", json: ["refresh_token": current.refreshToken])
            guard response.status == 200 else { return nil }
            return try Self.tokens(from: response, email: current.email)
        }
        guard let updated else {
            throw CLIError(description: "your session has ended: run `cloudtask login` again")
        }
        return updated
    }

    private static func tokens(from response: Response, email: String?) throws -> CredentialStore.Tokens {
        let tokens = try response.decode(TokenResource.self)
        return CredentialStore.Tokens(
            accessToken: tokens.accessToken, refreshToken: tokens.refreshToken,
            accessExpiresAt: Date().timeIntervalSince1970 + Double(tokens.expiresIn), email: email)
    }

    private func perform(_ method: String, _ path: String, body: Data?, token: String?) async throws -> Response {
        try await perform(method, path, body: body.map(Body.json), token: token)
    }

    private func perform(_ method: String, _ path: String, body: Body?, token: String?) async throws -> Response {
        guard let url = URL(string: server + path) else { throw CLIError(description: "bad path \(path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        do {
            let (data, response): (Data, URLResponse)
            switch body {
            case .json(let bytes):
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                request.httpBody = bytes
                (data, response) = try await session.data(for: request)
            case .file(let file, let size):
                request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
                request.setValue(String(size), forHTTPHeaderField: "Content-Length")
                (data, response) = try await session.upload(for: request, fromFile: file)
            case nil:
                (data, response) = try await session.data(for: request)
            }
            let http = response as? HTTPURLResponse
            var headers: [String: String] = [:]
            for case (let name as String, let value as String) in http?.allHeaderFields ?? [:] {
                headers[name.lowercased()] = value
            }
            return Response(status: http?.statusCode ?? 0, body: data, headers: headers)
        } catch {
            throw CLIError(description: "cannot reach \(server): \(error.localizedDescription)")
        }
    }
}

extension APIClient.Response {
    /// Throws the server's problem detail (or a plain sentence) unless the status is expected.
    func expect(_ statuses: Int...) throws -> Self {
        if statuses.contains(status) { return self }
        let problem = try? JSONDecoder().decode(ProblemResource.self, from: body)
        let detail = problem?.detail ?? problem?.title
        switch status {
        case 401: throw CLIError(description: detail ?? "not authenticated: run `cloudtask login`")
        case 404: throw CLIError(description: "no such job")
        case 429:
            throw CLIError(description: "too many requests; try again later" + (detail.map { " (\($0))" } ?? ""))
        case 500...: throw CLIError(description: "the server failed (\(status))" + (detail.map { ": \($0)" } ?? ""))
        default: throw CLIError(description: detail ?? "unexpected answer \(status)")
        }
    }
}

/// Answers every redirect with "do not follow": the caller sees the 3xx and its Location.
final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}
