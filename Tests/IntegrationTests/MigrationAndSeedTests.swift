import Foundation
import Logging
import PostgresNIO
import RxStore
import RxUseCases
import Testing

@Suite("Migrations and seeds")
struct MigrationAndSeedTests {
    @Test("migrate applies every file once; a second run is a no-op")
    func migrateTwice() async throws {
        let name = try await TestDatabases.shared.emptyDatabase()
        let url = await TestDatabases.shared.url(of: name)
        try await TestDatabases.withDatabase(url: url) { db in
            let migrator = Migrator(directory: TestDatabases.sqlDirectory, logger: db.logger)
            let first = try await migrator.migrate(client: db.client)
            #expect(first == (try migrator.migrations().map(\.name)))
            #expect(first.first == "001_foundation")
            let second = try await migrator.migrate(client: db.client)
            #expect(second.isEmpty)
            let recorded = try await db.rows("SELECT count(*)::int FROM schema_migrations", as: Int.self).first
            #expect(recorded == first.count)
        }
        try await TestDatabases.shared.drop(name)
    }

    @Test("migrate refuses to run when an applied file has changed")
    func changedFileRefused() async throws {
        let name = try await TestDatabases.shared.emptyDatabase()
        let url = await TestDatabases.shared.url(of: name)
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("crx-sql-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: TestDatabases.sqlDirectory, to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        try await TestDatabases.withDatabase(url: url) { db in
            let migrator = Migrator(directory: copy, logger: db.logger)
            try await migrator.migrate(client: db.client)
            let file = copy.appendingPathComponent("001_foundation.sql")
            try (try String(contentsOf: file, encoding: .utf8) + "\n-- edited\n").write(
                to: file, atomically: true, encoding: .utf8)
            await #expect(throws: Migrator.Failure.self) { try await migrator.migrate(client: db.client) }
        }
        try await TestDatabases.shared.drop(name)
    }

    @Test("a failing migration leaves nothing of itself behind")
    func failingMigrationRollsBack() async throws {
        let name = try await TestDatabases.shared.emptyDatabase()
        let url = await TestDatabases.shared.url(of: name)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("crx-sql-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "CREATE TABLE half_done (x int);\nSELECT no_such_function();\n"
            .write(to: dir.appendingPathComponent("001_broken.sql"), atomically: true, encoding: .utf8)
        try await TestDatabases.withDatabase(url: url) { db in
            await #expect(throws: Migrator.Failure.self) {
                try await Migrator(directory: dir, logger: db.logger).migrate(client: db.client)
            }
            let tables = try await db.rows("SELECT count(*)::int FROM pg_tables WHERE tablename = 'half_done'", as: Int.self)
            #expect(tables.first == 0)
        }
        try await TestDatabases.shared.drop(name)
    }

    @Test("the demo seed has the consortium, real drugs and pieces, and loading it again changes nothing")
    func seedIsIdempotent() async throws {
        try await TestApp.run { app in
            let audits = try await app.count("SELECT count(*)::int FROM audit_log")
            let again = try await SeedLoader(database: app.database, directory: TestDatabases.seedsDirectory).load(demo: true)
            #expect(again.total == 0, "\(again)")
            #expect(try await app.count("SELECT count(*)::int FROM audit_log") == audits)

            #expect(try await app.count("SELECT count(*)::int FROM institutions") == 9)
            #expect(try await app.count("SELECT count(*)::int FROM institutions WHERE level = 'village'") == 2)
            #expect(try await app.count("SELECT count(*)::int FROM institutions WHERE level = 'secondary'") >= 2)
            #expect(
                try await app.count(
                    """
                    SELECT count(*)::int FROM consortia c JOIN institutions l ON l.id = c.lead_institution_id
                    WHERE c.kind = 'tcm_regional_consortium' AND l.level = 'tertiary' AND l.type = 'tcm' AND l.has_testing_lab
                    """) == 1)
            #expect(
                try await app.count("SELECT count(DISTINCT drug_code)::int FROM drug_essential_editions WHERE edition = '2018'")
                    >= 300)
            #expect(try await app.count("SELECT count(*)::int FROM drugs WHERE category = 'decoction_piece'") >= 60)
            #expect(try await app.count("SELECT count(*)::int FROM drugs WHERE control_class = 'narcotic'") >= 1)
            #expect(try await app.count("SELECT count(*)::int FROM drugs WHERE control_class = 'psychotropic_ii'") >= 1)
            #expect(try await app.count("SELECT count(*)::int FROM suppliers WHERE is_distributor") >= 2)
        }
    }
}
