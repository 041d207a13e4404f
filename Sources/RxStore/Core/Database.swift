import Foundation
import Logging
import PostgresNIO
import RxDomain

/// The store's handle on PostgreSQL: a connection pool plus the conventions every store follows
/// (one transaction per change, errors mapped to `DomainError`).
public struct Database: Sendable {
    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// A pool configured from a URL, with the pool size a setting (small pools serve best on few cores).
    public static func makeClient(url: String, poolSize: Int, logger: Logger) throws -> PostgresClient {
        var configuration = try DatabaseURL.configuration(url)
        configuration.options.maximumConnections = max(1, poolSize)
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(5)
        return PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    /// Runs `body` in one transaction; its own errors come back unwrapped, database errors as `DomainError`.
    public func transaction<Result: Sendable>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch let error as PostgresTransactionError {
            throw DatabaseErrors.map(error.closureError ?? error.beginError ?? error.commitError ?? error, logger: logger)
        } catch {
            throw DatabaseErrors.map(error, logger: logger)
        }
    }

    /// Runs `body` on one pooled connection, outside a transaction (reads).
    public func read<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch {
            throw DatabaseErrors.map(error, logger: logger)
        }
    }

    /// Collects every row of a query into values.
    public func rows<each Column: PostgresDecodable>(
        _ query: PostgresQuery, as type: (repeat each Column).Type
    ) async throws -> [(repeat each Column)] {
        do {
            var result: [(repeat each Column)] = []
            for try await row in try await client.query(query, logger: logger).decode(type) {
                result.append(row)
            }
            return result
        } catch {
            throw DatabaseErrors.map(error, logger: logger)
        }
    }
}

extension PostgresConnection {
    /// Collects every row of a query into values.
    public func rows<each Column: PostgresDecodable>(
        _ query: PostgresQuery, as type: (repeat each Column).Type, logger: Logger
    ) async throws -> [(repeat each Column)] {
        var result: [(repeat each Column)] = []
        for try await row in try await self.query(query, logger: logger).decode(type) {
            result.append(row)
        }
        return result
    }

    /// The first row of a query, if any.
    public func row<each Column: PostgresDecodable>(
        _ query: PostgresQuery, as type: (repeat each Column).Type, logger: Logger
    ) async throws -> (repeat each Column)? {
        for try await row in try await self.query(query, logger: logger).decode(type) {
            return row
        }
        return nil
    }

    public func run(_ query: PostgresQuery, logger: Logger) async throws {
        try await self.query(query, logger: logger)
    }
}

/// Maps PostgreSQL's errors to what the caller can act on (SQLSTATE classes, not message text).
public enum DatabaseErrors {
    public static func map(_ error: any Error, logger: Logger) -> any Error {
        if error is DomainError || error is CancellationError { return error }
        if let error = error as? PostgresTransactionError {
            return map(error.closureError ?? error.beginError ?? error.commitError ?? error.rollbackError ?? error, logger: logger)
        }
        guard let psql = error as? PSQLError else { return error }
        guard let server = psql.serverInfo, let state = server[.sqlState] else {
            logger.error("database unreachable", metadata: ["error": "\(String(reflecting: psql))"])
            return DomainError.unavailable("the database is not reachable")
        }
        let detail = server[.detail] ?? server[.message] ?? ""
        let constraint = server[.constraintName] ?? ""
        switch state {
        case "23505":
            return DomainError.conflict("already exists (\(constraint)): \(detail)")
        case "23P01":
            return DomainError.conflict("overlaps an existing entry (\(constraint)): \(detail)")
        case "23503":
            return DomainError.unprocessable("refers to something that does not exist, or is still referred to (\(constraint)): \(detail)")
        case "23514", "23502", "22001", "22003", "22007", "22008", "22P02":
            return DomainError.unprocessable("breaks a rule of the data (\(constraint.isEmpty ? state : constraint)): \(server[.message] ?? "")")
        case "22021", "22P05":
            // PostgreSQL text cannot hold U+0000 (and a value must be valid UTF-8): malformed input.
            return DomainError.badRequest("text must not contain the NUL character (U+0000)")
        case "40001", "40P01":
            return DomainError.conflict("a concurrent change won; retry")
        case "57P01", "57P02", "57P03", "08000", "08003", "08006", "53300":
            logger.error("database unavailable", metadata: ["error": "\(String(reflecting: psql))"])
            return DomainError.unavailable("the database is not available")
        default:
            logger.error("database error", metadata: ["error": "\(String(reflecting: psql))"])
            return error
        }
    }
}
