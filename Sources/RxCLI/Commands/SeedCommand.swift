import ArgumentParser
import Foundation
import RxStore
import RxUseCases

struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Load the reference data (essential-list editions, policy defaults) and, with --demo, the demo consortium.")

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Also load the demo consortium, its suppliers and drugs.")
    var demo = false

    @Option(name: .customLong("seeds-dir"), help: "The seeds folder (default: $CRX_SEEDS_DIR, else ./seeds).")
    var seedsDirectory: String?

    func run() async throws {
        let directory = try ProjectFolder.locate("seeds", flag: seedsDirectory, environment: "CRX_SEEDS_DIR")
        let demo = self.demo
        let summary = try await database.withDatabase("seed") { db in
            try await SeedLoader(database: db, directory: directory).load(demo: demo)
        }
        print("seed: \(summary)")
    }
}
