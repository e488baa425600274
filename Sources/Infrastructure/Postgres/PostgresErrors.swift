import Logging
import PostgresNIO
import Ports

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
                logger.error("postgres error", metadata: ["sqlstate": "\(state)", "message": "\(error.serverInfo?[.message] ?? "")"])
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
    /// Runs `body` in a transaction with driver errors translated.
    func transaction<Result: Sendable>(
        logger: Logger, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await withTransaction(logger: logger) { try await body($0) }
        } catch {
            throw PostgresErrors.translate(error, logger: logger)
        }
    }

    /// Runs `body` on a pooled connection with driver errors translated.
    func connection<Result: Sendable>(
        logger: Logger, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await withConnection { try await body($0) }
        } catch {
            throw PostgresErrors.translate(error, logger: logger)
        }
    }
}
