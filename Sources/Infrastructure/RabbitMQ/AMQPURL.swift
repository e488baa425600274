import Foundation

/// Where RabbitMQ is: `amqp://user:pass@host:port/vhost`, or `amqps://` for TLS (the
/// server's certificate is verified against `caFile`, host name included). The vhost
/// is the path, percent-decoded (`%2f` is `/`, the default when the path is empty).
public struct AMQPURL: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var tls: Bool
    public var username: String
    public var password: String
    public var vhost: String

    public init(
        host: String, port: Int? = nil, tls: Bool = false, username: String = "guest", password: String = "guest",
        vhost: String = "/"
    ) {
        self.host = host
        self.port = port ?? (tls ? 5671 : 5672)
        self.tls = tls
        self.username = username
        self.password = password
        self.vhost = vhost
    }

    public init(_ text: String) throws(AMQPURLError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme, scheme == "amqp" || scheme == "amqps"
        else {
            throw AMQPURLError("must look like amqp://user:pass@host:port/vhost or amqps://…")
        }
        guard let host = components.host, !host.isEmpty else { throw AMQPURLError("has no host") }
        if let port = components.port, !(1...65535).contains(port) { throw AMQPURLError("has a port out of range") }
        let path = components.percentEncodedPath.drop { $0 == "/" }
        guard let vhost = path.isEmpty ? "/" : String(path).removingPercentEncoding else { throw AMQPURLError("has a bad vhost") }
        self.init(
            host: host, port: components.port, tls: scheme == "amqps",
            username: components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? "guest",
            password: components.percentEncodedPassword.flatMap { $0.removingPercentEncoding } ?? "guest",
            vhost: vhost)
    }
}

/// Why an AMQP URL was refused (safe to print: it never contains the URL).
public struct AMQPURLError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// How to reach RabbitMQ and how patient to be.
public struct AMQPSettings: Sendable {
    public var url: AMQPURL
    /// CA bundle for `amqps://` (Debian's system bundle by default).
    public var caFile: String
    public var heartbeatSeconds: Int
    /// Connecting, logging in, each RPC, and waiting for confirmations.
    public var timeout: Duration
    /// Prepended to every exchange and queue name: empty in production; tests use one
    /// each to stay apart on a shared broker.
    public var namePrefix: String

    public init(
        url: AMQPURL, caFile: String = "/etc/ssl/certs/ca-certificates.crt", heartbeatSeconds: Int = 30,
        timeout: Duration = .seconds(5), namePrefix: String = ""
    ) {
        self.url = url
        self.namePrefix = namePrefix
        self.caFile = caFile
        self.heartbeatSeconds = heartbeatSeconds
        self.timeout = timeout
    }

    var timeoutMillis: Int32 { Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000) }
}
