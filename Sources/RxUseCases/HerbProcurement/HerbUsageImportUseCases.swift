import Foundation
import RxDomain
import RxStore

/// Loads members' prior-year usage of decoction pieces (CSV: institution_code, drug_code, year, quantity_kg) for a
/// consortium, in one transaction (`HerbUsageImport`): any bad line changes nothing, every bad line is reported with
/// its number in one run (`HerbUsageImport.Rejected`).
package struct HerbUsageImportUseCases: Sendable {
    package typealias Summary = HerbUsageImport.Summary
    package typealias Rejected = HerbUsageImport.Rejected

    let database: Database
    let importer: HerbUsageImport

    package init(database: Database) {
        self.database = database
        self.importer = HerbUsageImport(database: database)
    }

    /// A file in memory (tests, small files).
    package func run(text: String, consortiumCode: String, year: Int?, actor: Actor) async throws -> Summary {
        try await run(input: .data(Data(text.utf8)), consortiumCode: consortiumCode, year: year, actor: actor)
    }

    package func run(input: FileInput, encoding: FileEncoding = .utf8, consortiumCode: String, year: Int?, actor: Actor)
        async throws -> Summary
    {
        try await database.transaction { transaction in
            try await importer.load(
                input, encoding: encoding, consortiumCode: consortiumCode, year: year, actor: actor, connection: transaction)
        }
    }
}
