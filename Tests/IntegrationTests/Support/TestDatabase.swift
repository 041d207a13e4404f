import Foundation
import Logging
import PostgresNIO
import RxStore
import RxUseCases

/// Databases for tests on the real PostgreSQL that `make test` starts (scripts/pg.sh).
///
/// The first use migrates and seeds a template database; every test then gets a fresh copy of it
/// (CREATE DATABASE … TEMPLATE), so tests run in parallel without seeing each other's rows.
actor TestDatabases {
    static let shared = TestDatabases()

    /// A connection to the cluster's `postgres` database, for creating and dropping others.
    let adminURL: String
    let runID = "\(ProcessInfo.processInfo.processIdentifier)"
    private var template: Task<String, any Error>?
    private var counter = 0

    init() {
        adminURL =
            ProcessInfo.processInfo.environment["CRX_TEST_ADMIN_URL"]
            ?? "postgres://consortiumrx@127.0.0.1:55432/postgres"
    }

    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var sqlDirectory: URL { repositoryRoot.appendingPathComponent("sql") }
    static var seedsDirectory: URL { repositoryRoot.appendingPathComponent("seeds") }

    func url(of database: String) -> String {
        var components = URLComponents(string: adminURL)!
        components.path = "/" + database
        return components.string!
    }

    /// A new, empty database (no migrations).
    func emptyDatabase() async throws -> String {
        counter += 1
        let name = "crx_t_\(runID)_\(counter)"
        try await admin("CREATE DATABASE \(name)")
        return name
    }

    /// A new database holding the migrated schema and the demo seed.
    func seededDatabase() async throws -> String {
        let template = try await templateName()
        counter += 1
        let name = "crx_t_\(runID)_\(counter)"
        try await admin("CREATE DATABASE \(name) TEMPLATE \(template)")
        return name
    }

    func drop(_ name: String) async throws {
        try await admin("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    private func templateName() async throws -> String {
        if let template { return try await template.value }
        let task = Task { () throws -> String in
            try await self.removeLeftovers()
            let name = "crx_tpl_\(self.runID)"
            try await self.admin("CREATE DATABASE \(name)")
            try await Self.withDatabase(url: self.url(of: name)) { db in
                try await Migrator(directory: Self.sqlDirectory, logger: db.logger).migrate(client: db.client)
                _ = try await SeedLoader(database: db, directory: Self.seedsDirectory).load(demo: true)
            }
            return name
        }
        template = task
        return try await task.value
    }

    /// Databases of earlier runs that ended before dropping theirs. A run's databases carry its process id; those
    /// of a run still going (another `swift test` on the same cluster) are left alone.
    private func removeLeftovers() async throws {
        let names = try await Self.withDatabase(url: adminURL) { db in
            try await db.rows("SELECT datname FROM pg_database WHERE datname ~ '^crx_(t|tpl)_[0-9]+'", as: String.self)
        }
        for name in names where !Self.isRunning(owner: name) {
            try? await admin("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        }
    }

    /// Whether the test run that made `crx_t_PID_N` or `crx_tpl_PID` is still running (this one included).
    static func isRunning(owner database: String) -> Bool {
        let parts = database.split(separator: "_")
        guard parts.count >= 3, let pid = Int32(parts[2]) else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// DDL on the cluster. Database names are generated here, never from input, and cannot be bound.
    func admin(_ sql: String) async throws {
        try await Self.withDatabase(url: adminURL) { db in
            _ = try await db.client.query(PostgresQuery(unsafeSQL: sql))
        }
    }

    static func withDatabase<T: Sendable>(url: String, _ body: @escaping @Sendable (Database) async throws -> T) async throws -> T
    {
        var logger = Logger(label: "test-db")
        logger.logLevel = .error
        let client = try Database.makeClient(url: url, poolSize: 2, logger: logger)
        // The tests' own connections wait as long as a loaded machine needs; the server's bounded wait is tested.
        let database = Database(client: client, logger: logger, leaseTimeout: .seconds(60))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body(database)
        }
    }
}
