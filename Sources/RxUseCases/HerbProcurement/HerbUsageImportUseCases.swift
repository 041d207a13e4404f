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
            try await load(input, encoding: encoding, consortiumCode: consortiumCode, year: year, actor: actor, on: transaction)
        }
    }

    /// Reads, checks and applies the file in the caller's transaction (the seed's, or `run`'s); throws `Rejected`
    /// with every bad line, and then nothing is applied. Without a `year` column, `year` gives it.
    package func load(
        _ input: FileInput, encoding: FileEncoding, consortiumCode: String, year: Int?, actor: Actor,
        on connection: StoreConnection
    ) async throws -> Summary {
        let consortiumID = try await ProvincialPriceImport(database: database).consortiumID(code: consortiumCode, on: connection)
            .orNotFound("no consortium \(consortiumCode)")
        let lines: Int
        do {
            lines = try await importer.stage(input, encoding: encoding, year: year, on: connection)
        } catch let error as StagedCSV.Unreadable {
            throw Rejected(errors: [.init(line: error.line, reason: error.reason)])
        }
        if let rejected = try await importer.badLines(consortiumID: consortiumID, consortiumCode: consortiumCode, on: connection)
        {
            throw rejected
        }
        var summary = try await importer.apply(consortiumID: consortiumID, actor: actor, connection: connection)
        summary.lines = lines
        summary.unchanged = lines - summary.imported - summary.updated
        try await importer.dropStaging(on: connection)
        return summary
    }
}
