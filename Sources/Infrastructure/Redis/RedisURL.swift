import Foundation

/// Where a Redis server is and how to log in: `redis://[[user]:password@]host[:port][/db]`.
/// hiredis 0.14 has no TLS, so `rediss://` is refused rather than silently sent in clear.
public struct RedisURL: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int

    public init(host: String, port: Int = 6379, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses the URL; the error names the part that is wrong, never the password.
    public init(_ text: String) throws(RedisURLError) {
        guard let components = URLComponents(string: text), components.scheme == "redis" else {
            throw RedisURLError("must look like redis://[:password@]host:port[/db]")
        }
        guard let host = components.host, !host.isEmpty else { throw RedisURLError("has no host") }
        let port = components.port ?? 6379
        guard (1...65535).contains(port) else { throw RedisURLError("has a port out of range") }
        let path = components.path.drop { $0 == "/" }
        guard let database = path.isEmpty ? 0 : Int(path), database >= 0 else {
            throw RedisURLError("has a database that is not a number")
        }
        let user = components.percentEncodedUser.flatMap { $0.removingPercentEncoding }.flatMap { $0.isEmpty ? nil : $0 }
        let password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        self.init(host: host, port: port, username: user, password: password, database: database)
    }
}

/// Why a Redis URL was refused (safe to print: it never contains the URL).
public struct RedisURLError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
