import Foundation
public import PostgresNIO

/// Turns `postgres://user:pass@host:port/db?sslmode=…` into a client configuration.
/// `sslmode` is `disable`, `prefer` (the default) or `require`.
public enum PostgresURL {
    public static func configuration(_ text: String) throws -> PostgresClient.Configuration {
        guard let url = URLComponents(string: text), let host = url.host, !host.isEmpty,
            ["postgres", "postgresql"].contains(url.scheme ?? "")
        else {
            throw PostgresURLError("CLOUDTASK_DATABASE_URL: must be postgres://user:password@host:port/database")
        }
        let mode = url.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "prefer": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-full": tls = .require(.makeClientConfiguration())
        default: throw PostgresURLError("CLOUDTASK_DATABASE_URL: sslmode must be disable, prefer, require or verify-full")
        }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        return PostgresClient.Configuration(
            host: host, port: url.port ?? 5432, username: url.user?.removingPercentEncoding ?? "postgres",
            password: url.password?.removingPercentEncoding, database: database.isEmpty ? nil : database, tls: tls)
    }
}

public struct PostgresURLError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
