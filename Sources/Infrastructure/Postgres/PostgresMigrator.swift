import Crypto
import Foundation
public import Logging
public import PostgresNIO

/// One numbered SQL file of `migrations/`.
public struct Migration: Sendable, Hashable {
    public let version: Int
    public let name: String
    public let sql: String
    public var checksum: String { Array(SHA256.hash(data: Data(sql.utf8))).hex }

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Reads `NNNN_name.sql` files, in order of their number.
    public static func load(directory: String) throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".sql") }.sorted()
        var seen = Set<Int>()
        return try files.map { file in
            guard let number = Int(file.prefix { $0.isNumber }), number > 0 else {
                throw MigrationError.badFileName(file)
            }
            guard seen.insert(number).inserted else { throw MigrationError.duplicateVersion(number) }
            let sql = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            return Migration(version: number, name: String(file.dropLast(4)), sql: sql)
        }
    }
}

public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case badFileName(String)
    case duplicateVersion(Int)
    /// A migration that was applied has been edited since: refuse to go on.
    case changedAfterApplying(version: Int, name: String)
    /// The database has migrations this build does not know (it is older than the schema).
    case unknownApplied(version: Int)
    /// The database's schema is older than this build needs.
    case schemaBehind(applied: Int, required: Int)

    public var description: String {
        switch self {
        case .badFileName(let file): "migration file \(file) must be named NNNN_name.sql"
        case .duplicateVersion(let version): "two migration files have the number \(version)"
        case .changedAfterApplying(let version, let name):
            "migration \(version) (\(name)) was changed after it was applied; restore it and add a new migration instead"
        case .unknownApplied(let version):
            "the database has migration \(version), which this build does not know; run a newer build"
        case .schemaBehind(let applied, let required):
            "the database schema is at version \(applied) but this build needs \(required): run `cloudtask-api migrate`"
        }
    }
}

/// Applies pending migrations in order, each in its own transaction, under an
/// advisory lock (two instances migrating at once take turns), recording a checksum of
/// each; refuses to run when an applied file changed.
public struct PostgresMigrator: Sendable {
    let client: PostgresClient
    let logger: Logger
    /// Arbitrary, fixed: the advisory lock that serialises migrations.
    static let lockKey: Int64 = 0x436c_6f75_6454_736b

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Applies what is pending; returns the versions applied now.
    @discardableResult
    public func migrate(_ migrations: [Migration]) async throws -> [Int] {
        try await client.withConnection { connection in
            _ = try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            do {
                let applied = try await migrateLocked(migrations, connection: connection)
                _ = try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                throw error
            }
        }
    }

    private func migrateLocked(_ migrations: [Migration], connection: PostgresConnection) async throws -> [Int] {
        _ = try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """, logger: logger)
        var recorded: [Int: String] = [:]
        for try await (version, checksum) in try await connection.query(
            "SELECT version, checksum FROM schema_migrations", logger: logger
        ).decode((Int, String).self) {
            recorded[version] = checksum
        }
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for (version, checksum) in recorded.sorted(by: { $0.key < $1.key }) {
            guard let migration = known[version] else { throw MigrationError.unknownApplied(version: version) }
            if migration.checksum != checksum {
                throw MigrationError.changedAfterApplying(version: version, name: migration.name)
            }
        }
        var applied: [Int] = []
        for migration in migrations.sorted(by: { $0.version < $1.version }) where recorded[migration.version] == nil {
            _ = try await connection.query("BEGIN", logger: logger)
            do {
                for statement in SQLStatements.split(migration.sql) {
                    _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                _ = try await connection.query(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))",
                    logger: logger)
                _ = try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
            logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            applied.append(migration.version)
        }
        return applied
    }

    /// The highest applied version (0 on an empty database).
    public func appliedVersion() async throws -> Int {
        try await client.withConnection { connection in
            let exists =
                try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger)
                .decode(Bool.self).first { _ in true } ?? false
            guard exists else { return 0 }
            return try await connection.query("SELECT coalesce(max(version), 0) FROM schema_migrations", logger: logger)
                .decode(Int.self).first { _ in true } ?? 0
        }
    }
}

/// The schema version this build needs; the server refuses to start on an older one.
/// `MigrationFilesTests` checks that it is the number of the newest file in migrations/.
public enum SchemaVersion {
    public static let required = 11
}
