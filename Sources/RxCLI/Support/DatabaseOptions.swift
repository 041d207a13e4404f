import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import RxStore

/// `--database-url`, defaulting to `DATABASE_URL`.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "A postgres:// URL (default: $DATABASE_URL).")
    var databaseURL: String?

    func url() throws -> String {
        guard let url = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            throw ValidationError("set DATABASE_URL or pass --database-url (scripts/pg.sh url prints the private cluster's)")
        }
        return url
    }

    /// How long to wait for a database connection: `flag`, else `DB_LEASE_TIMEOUT_MS`, else `defaultMilliseconds`.
    static func leaseTimeout(flag: Int? = nil, defaultMilliseconds: Int) -> Duration {
        let environment = ProcessInfo.processInfo.environment["DB_LEASE_TIMEOUT_MS"].flatMap(Int.init)
        return .milliseconds(max(1, flag ?? environment ?? defaultMilliseconds))
    }

    /// Runs `body` with a connected pool, for one-shot commands: the pool runs in a task beside the work and
    /// is cancelled when the work ends.
    func withDatabase<T: Sendable>(_ label: String, _ body: @escaping @Sendable (Database) async throws -> T) async throws -> T {
        var logger = Logger(label: "consortiumrx.\(label)")
        // The pool warns when asked for a connection a moment before `run()` starts; that race is harmless here.
        // `LOG_LEVEL=debug` shows, for example, where a reconciliation's time went.
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        // With several hosts, the one that takes writes now (the first when none answers: its error says why).
        let hosts = try DatabaseHosts(url: try url())
        let host = hosts.choosing ? await hosts.writable(logger: logger) ?? 0 : 0
        let client = try Database.makeClient(configuration: hosts.configurations[host], poolSize: 2, logger: logger)
        // 30 s, longer than a request's 5 s: a command run by hand or from cron would rather wait out a busy
        // database than fail.
        let database = Database(client: client, logger: logger, leaseTimeout: Self.leaseTimeout(defaultMilliseconds: 30_000))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            let result = try await body(database)
            return result
        }
    }
}

/// Finds the project's `sql/` and `seeds/` folders: a flag, an environment variable, the working directory or
/// one of its parents, or the folders above the executable (a build under `.build/`).
enum ProjectFolder {
    static func locate(_ name: String, flag: String?, environment: String) throws -> URL {
        if let path = flag ?? ProcessInfo.processInfo.environment[environment] {
            return URL(fileURLWithPath: path, isDirectory: true)
        }
        var starts = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)]
        starts.append(URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent())
        for start in starts {
            var dir = start.standardizedFileURL
            for _ in 0..<8 {
                let candidate = dir.appendingPathComponent(name, isDirectory: true)
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir), isDir.boolValue,
                    FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path)
                        || name != "sql"
                        || FileManager.default.fileExists(atPath: candidate.appendingPathComponent("001_foundation.sql").path)
                {
                    return candidate
                }
                dir.deleteLastPathComponent()
            }
        }
        throw ValidationError("cannot find the \(name)/ folder; pass its path or set \(environment)")
    }
}
