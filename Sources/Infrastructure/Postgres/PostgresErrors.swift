import Logging
import Ports
import PostgresNIO
import Synchronization
import Telemetry
import Tracing

/// Translates driver errors into the ports' errors, so that no SQL text or driver
/// message travels further than this file (the log keeps the details).
enum PostgresErrors {
    static func translate(_ error: any Error, logger: Logger) -> any Error {
        switch error {
        case is PortError, is CancellationError:
            return error
        case let error as PostgresTransactionError:
            // What the body threw (a use case's error, a port error) is what callers see;
            // a driver error inside the transaction is translated like any other.
            if let inner = error.closureError ?? error.beginError ?? error.commitError {
                return isDriverError(inner) ? translate(inner, logger: logger) : inner
            }
            return PortError.unavailable
        case let error as PSQLError:
            if error.code == .server, let state = error.serverInfo?[.sqlState] {
                if state == "23505" { return PortError.duplicate }  // unique_violation
                logger.error(
                    "postgres error", metadata: ["sqlstate": "\(state)", "message": "\(error.serverInfo?[.message] ?? "")"])
                return refusesData(sqlState: state) ? PortError.rejected : PortError.unavailable
            }
            logger.warning("postgres unavailable", metadata: ["code": "\(error.code)"])
            return PortError.unavailable
        default:
            if isDriverError(error) {
                logger.warning("postgres unavailable", metadata: ["error": "\(type(of: error))"])
                return PortError.unavailable
            }
            return error
        }
    }

    /// SQLSTATE classes that say the statement's data is at fault, not the server: 21
    /// cardinality, 22 data exception (a NUL in text, a value out of range), 23 integrity
    /// constraint, 42 syntax or access rule, 54 program limit. Retrying those cannot
    /// succeed; everything else (connections, resources, serialization, shutdown) may.
    static func refusesData(sqlState: String) -> Bool {
        ["21", "22", "23", "42", "54"].contains(String(sqlState.prefix(2)))
    }

    /// Errors that come from the driver or its pool (the pool's error type is not
    /// public API, hence the name check), as opposed to errors our own code throws.
    static func isDriverError(_ error: any Error) -> Bool {
        error is PSQLError || String(reflecting: type(of: error)).contains("ConnectionPoolError")
    }
}

extension PostgresClient {
    /// How long a request may wait for a pooled connection. PostgresNIO queues a request
    /// for as long as it takes to connect; while PostgreSQL is down that is for ever, and
    /// every request would hang. Past this, the request fails `unavailable` (a prompt 503).
    static let leaseTimeout: Duration = .seconds(5)

    /// Runs `body` in a transaction with driver errors translated, in a span named by
    /// the repository operation that asked (PostgresNIO records no spans of its own).
    func transaction<Result: Sendable>(
        logger: Logger, operation: String = #function, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await Telemetry.withChildSpan("PostgreSQL \(Self.spanName(operation))") { span in
            span?.attributes["db.system.name"] = "postgresql"
            span?.attributes["db.operation.name"] = "transaction"
            return try await untracedTransaction(logger: logger, body)
        }
    }

    private func untracedTransaction<Result: Sendable>(
        logger: Logger, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await ConnectionLease.bounded(Self.leaseTimeout) { leased in
                try await self.withTransaction(logger: logger) { connection in
                    leased()
                    return try await body(connection)
                }
            }
        } catch {
            throw PostgresErrors.translate(error, logger: logger)
        }
    }

    /// Runs `body` on a pooled connection with driver errors translated, in a span named
    /// by the repository operation that asked.
    func connection<Result: Sendable>(
        logger: Logger, operation: String = #function, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await Telemetry.withChildSpan("PostgreSQL \(Self.spanName(operation))") { span in
            span?.attributes["db.system.name"] = "postgresql"
            return try await untracedConnection(logger: logger, body)
        }
    }

    /// `create(_:dispatch:unfinishedLimit:)` → `create`: a span's name is low-cardinality.
    static func spanName(_ function: String) -> Substring {
        function.prefix { $0 != "(" }
    }

    private func untracedConnection<Result: Sendable>(
        logger: Logger, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await ConnectionLease.bounded(Self.leaseTimeout) { leased in
                try await self.withConnection { connection in
                    leased()
                    return try await body(connection)
                }
            }
        } catch {
            throw PostgresErrors.translate(error, logger: logger)
        }
    }
}

/// A bound on the wait for a connection (not on the work done with it).
enum ConnectionLease {
    private final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { value.store(true, ordering: .releasing) }
        var isSet: Bool { value.load(ordering: .acquiring) }
    }

    /// Runs `operation`, which calls `leased` once it holds a connection; throws
    /// `PortError.unavailable` if that has not happened within `timeout` (the request
    /// leaves the pool's queue: cancelling it there is supported).
    static func bounded<Result: Sendable>(
        _ timeout: Duration, _ operation: @escaping @Sendable (@escaping @Sendable () -> Void) async throws -> Result
    ) async throws -> Result {
        let flag = Flag()
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask { try await operation { flag.set() } }
            group.addTask {
                try await Task.sleep(for: timeout)
                if !flag.isSet { throw PortError.unavailable }
                return nil
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let result = next { return result }
            }
            throw PortError.unavailable  // unreachable: the operation returns or throws
        }
    }
}
