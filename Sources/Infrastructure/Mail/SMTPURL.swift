import Foundation

/// `CLOUDTASK_SMTP_URL`: `smtp://[user:password@]host[:port]` (STARTTLS when the server
/// offers it; port 587 by default) or `smtps://…` (TLS from the first byte; port 465).
public struct SMTPURL: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let implicitTLS: Bool
    public let username: String?
    public let password: String?

    public init?(_ text: String) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "smtp" || scheme == "smtps", let host = components.host, !host.isEmpty,
            components.path.isEmpty || components.path == "/", components.query == nil
        else { return nil }
        implicitTLS = scheme == "smtps"
        self.host = host
        port = components.port ?? (implicitTLS ? 465 : 587)
        guard (1...65535).contains(port) else { return nil }
        username = components.user?.removingPercentEncoding
        password = components.password?.removingPercentEncoding
        if (username == nil) != (password == nil) { return nil }
    }

    /// Loopback servers may take credentials without TLS (a relay on the same host);
    /// any other server gets them only over TLS.
    var isLoopback: Bool { host == "localhost" || host == "127.0.0.1" || host == "::1" || host == "[::1]" }

    /// Never the password.
    public var description: String {
        "\(implicitTLS ? "smtps" : "smtp")://\(username.map { "\($0)@" } ?? "")\(host):\(port)"
    }
}
