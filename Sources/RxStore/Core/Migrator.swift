import Crypto
import Foundation
import Logging
import PostgresNIO

/// Applies `sql/NNN_name.sql` in order, each file in its own transaction, recording each with its checksum.
/// It refuses to run when a file applied earlier has since changed, and a second run is a no-op.
package struct Migrator: Sendable {
    package struct Migration: Sendable, Equatable {
        package var version: Int
        package var name: String
        package var sql: String
        package var checksum: String
    }

    package enum Failure: Error, CustomStringConvertible, Equatable {
        case badFileName(String)
        case duplicateVersion(Int)
        case changedAfterApplied(file: String, applied: String, now: String)
        case missingFile(version: Int, name: String)
        case statementFailed(file: String, statement: Int, message: String)

        package var description: String {
            switch self {
            case .badFileName(let f): "\(f): migration files are named NNN_name.sql"
            case .duplicateVersion(let v): "two migration files have version \(v)"
            case .changedAfterApplied(let f, let a, let n):
                "\(f) was changed after it was applied (checksum \(a.prefix(12)) then, \(n.prefix(12)) now); add a new migration instead"
            case .missingFile(let v, let n): "migration \(v) (\(n)) was applied but its file is gone"
            case .statementFailed(let f, let i, let m): "\(f), statement \(i): \(m)"
            }
        }
    }

    package let directory: URL
    package let logger: Logger

    package init(directory: URL, logger: Logger) {
        self.directory = directory
        self.logger = logger
    }

    package func migrations() throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        var seen = Set<Int>()
        return try files.map { file in
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw Failure.badFileName(file)
            }
            guard seen.insert(version).inserted else { throw Failure.duplicateVersion(version) }
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            let checksum = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
            return Migration(version: version, name: String(stem), sql: String(decoding: data, as: UTF8.self), checksum: checksum)
        }
    }

    /// Applies what is pending and returns the names applied.
    @discardableResult
    package func migrate(client: PostgresClient) async throws -> [String] {
        let all = try migrations()
        return try await client.withConnection { connection in
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            // One migrator at a time, whichever server or CLI starts it.
            try await connection.query("SELECT pg_advisory_lock(7361001)", logger: logger)
            do {
                let applied = try await self.apply(all, on: connection)
                try await connection.query("SELECT pg_advisory_unlock(7361001)", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(7361001)", logger: logger)
                throw error
            }
        }
    }

    private func apply(_ all: [Migration], on connection: PostgresConnection) async throws -> [String] {
        var applied: [Int: (String, String)] = [:]
        for try await (version, name, checksum) in try await connection.query(
            "SELECT version, name, checksum FROM schema_migrations", logger: logger
        ).decode((Int, String, String).self) {
            applied[version] = (name, checksum)
        }
        let byVersion = Dictionary(uniqueKeysWithValues: all.map { ($0.version, $0) })
        for (version, (name, checksum)) in applied.sorted(by: { $0.key < $1.key }) {
            guard let file = byVersion[version] else { throw Failure.missingFile(version: version, name: name) }
            if file.checksum != checksum {
                throw Failure.changedAfterApplied(file: file.name + ".sql", applied: checksum, now: file.checksum)
            }
        }
        var done: [String] = []
        for migration in all where applied[migration.version] == nil {
            let statements = SQLScript.statements(migration.sql)
            do {
                try await connection.withTransaction(logger: logger) { tx in
                    for (index, statement) in statements.enumerated() {
                        do {
                            try await tx.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        } catch let error as PSQLError {
                            throw Failure.statementFailed(
                                file: migration.name + ".sql", statement: index + 1,
                                message: error.serverInfo?[.message] ?? String(reflecting: error))
                        }
                    }
                    try await tx.query(
                        """
                        INSERT INTO schema_migrations (version, name, checksum)
                        VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                        """, logger: logger)
                }
            } catch let error as PostgresTransactionError {
                throw error.closureError ?? error
            }
            logger.info("applied migration", metadata: ["file": "\(migration.name).sql"])
            done.append(migration.name)
        }
        return done
    }
}
