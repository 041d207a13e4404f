import Foundation
import Logging
import PostgresNIO
import RxStore
import RxUseCases

/// Databases for tests on the real PostgreSQL that `make test` starts (scripts/pg.sh).
///
/// The first use migrates and seeds a template database; every test then gets a fresh copy of it
/// (CREATE DATABASE … TEMPLATE), so tests run in parallel without seeing each other's rows.
///
/// Swift Testing starts every test at once, and each live database brings its test's connections (the app's pool, the
/// test's own pool, a CLI's): so at most `limit` test databases live at a time, and a test waits for a slot before
/// its database is made. Without the bound, a slow machine had more than the cluster's `max_connections` open, and
/// tests waited a minute for connections the cluster refused (CI, stop 35).
actor TestDatabases {
    static let shared = TestDatabases()

    /// A connection to the cluster's `postgres` database, for creating and dropping others.
    let adminURL: String
    let runID = "\(ProcessInfo.processInfo.processIdentifier)"
    private var template: Task<String, any Error>?
    private var counter = 0
    /// How many test databases may live at once (`CRX_TEST_DATABASES`, 24 unless set).
    let limit: Int
    private var live = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init() {
        adminURL =
            ProcessInfo.processInfo.environment["CRX_TEST_ADMIN_URL"]
            ?? "postgres://consortiumrx@127.0.0.1:25432/postgres"
        limit = ProcessInfo.processInfo.environment["CRX_TEST_DATABASES"].flatMap { Int($0) }.map { max($0, 1) } ?? 24
    }

    /// Waits for one of the `limit` slots; `drop` gives it back.
    private func takeSlot() async {
        if live < limit {
            live += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func giveBackSlot() {
        if waiting.isEmpty {
            live -= 1
        } else {
            waiting.removeFirst().resume()
        }
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

    /// A new, empty database (no migrations). Every database made here is given back with `drop`.
    func emptyDatabase() async throws -> String {
        await takeSlot()
        counter += 1
        let name = "crx_t_\(runID)_\(counter)"
        do {
            try await admin("CREATE DATABASE \(name)")
        } catch {
            giveBackSlot()
            throw error
        }
        return name
    }

    /// A new database holding the migrated schema and the demo seed. Every database made here is given back with
    /// `drop`.
    func seededDatabase() async throws -> String {
        let template = try await templateName()
        await takeSlot()
        counter += 1
        let name = "crx_t_\(runID)_\(counter)"
        do {
            try await admin("CREATE DATABASE \(name) TEMPLATE \(template)")
        } catch {
            giveBackSlot()
            throw error
        }
        return name
    }

    /// Drops a test's database and gives its slot to the next test.
    func drop(_ name: String) async throws {
        defer { giveBackSlot() }
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
