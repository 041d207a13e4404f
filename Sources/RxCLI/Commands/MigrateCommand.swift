import ArgumentParser
import Foundation
import Logging
import RxStore

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply the pending sql/NNN_name.sql migrations, each in its own transaction.")

    @OptionGroup var database: DatabaseOptions

    @Option(name: .customLong("sql-dir"), help: "The migrations folder (default: $CRX_SQL_DIR, else ./sql).")
    var sqlDirectory: String?

    func run() async throws {
        let directory = try ProjectFolder.locate("sql", flag: sqlDirectory, environment: "CRX_SQL_DIR")
        let applied = try await database.withDatabase("migrate") { db in
            try await Migrator(directory: directory, logger: db.logger).migrate(client: db.client)
        }
        print(applied.isEmpty ? "migrations: up to date" : "migrations applied: \(applied.joined(separator: ", "))")
    }
}
