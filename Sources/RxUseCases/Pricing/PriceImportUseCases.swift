import Foundation
import RxDomain
import RxStore

/// Imports a provincial winning-bid price list in one transaction: staged, checked, then applied with the prices
/// locked (`ProvincialPriceImport` holds the SQL of each step). The outcome says what came of it; the caller (RxCLI) maps it to text and an exit status.
package struct PriceImportUseCases: Sendable {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    /// What an import came to: the counts, or every bad line (and then nothing changed).
    package enum Outcome: Sendable {
        case imported(ProvincialPriceImport.Summary)
        case rejected(ProvincialPriceImport.Rejected)

        /// The counts, or the bad lines thrown.
        package func get() throws(ProvincialPriceImport.Rejected) -> ProvincialPriceImport.Summary {
            switch self {
            case .imported(let summary): return summary
            case .rejected(let rejected): throw rejected
            }
        }
    }

    /// A file in memory (tests, small files).
    package func run(text: String, consortiumCode: String, actor: Actor) async throws -> Outcome {
        try await run(input: .data(Data(text.utf8)), consortiumCode: consortiumCode, actor: actor)
    }

    package func run(input: FileInput, encoding: FileEncoding = .utf8, consortiumCode: String, actor: Actor) async throws
        -> Outcome
    {
        do {
            return .imported(
                try await database.transaction { transaction in
                    try await load(input, encoding: encoding, consortiumCode: consortiumCode, actor: actor, on: transaction)
                })
        } catch let rejected as ProvincialPriceImport.Rejected {
            return .rejected(rejected)
        }
    }

    /// Reads, checks and applies the file in the caller's transaction (the seed's, or `run`'s); throws `Rejected`
    /// with every bad line, and then nothing is applied.
    package func load(
        _ input: FileInput, encoding: FileEncoding, consortiumCode: String, actor: Actor, on connection: StoreConnection
    ) async throws -> ProvincialPriceImport.Summary {
        let importer = ProvincialPriceImport(database: database)
        let consortiumID = try await importer.consortiumID(code: consortiumCode, on: connection)
            .orNotFound("no consortium \(consortiumCode)")
        let lines: Int
        do {
            lines = try await importer.stage(input, encoding: encoding, on: connection)
        } catch let error as StagedCSV.Unreadable {
            throw ProvincialPriceImport.Rejected(errors: [.init(line: error.line, reason: error.reason)])
        }
        if let rejected = try await importer.badLines(consortiumID: consortiumID, on: connection) { throw rejected }
        try await importer.lockPrices(consortiumID: consortiumID, on: connection)
        let imported = try await apply(importer, consortiumID: consortiumID, actor: actor, connection: connection)
        try await importer.dropStaging(on: connection)
        return ProvincialPriceImport.Summary(lines: lines, imported: imported, unchanged: lines - imported)
    }

    /// Applies the lines not imported before in batches, all the lines of a drug in one batch, each placed in its
    /// drug's timelines by `PriceTimeline.planBatch`; the number applied.
    func apply(_ importer: ProvincialPriceImport, consortiumID: Int64, actor: Actor, connection: StoreConnection)
        async throws -> Int
    {
        try await importer.openNewLines(consortiumID: consortiumID, connection: connection)
        var applied = 0
        var pending: [ProvincialPriceImport.NewLine] = []
        while true {
            let rows = try await importer.fetchNewLines(connection: connection)
            pending += rows
            let last = rows.count < ProvincialPriceImport.batchSize
            // A drug's lines stay together: the last drug of a full batch waits for the next one.
            var cut = pending.count
            if !last, let code = pending.last?.drugCode {
                cut = pending.lastIndex { $0.drugCode != code }.map { $0 + 1 } ?? 0
            }
            if cut > 0 {
                let batch = Array(pending[..<cut])
                let periods = try await importer.periods(
                    of: Set(batch.map(\.drugCode)), consortiumID: consortiumID, connection: connection)
                let plan = PriceTimeline.planBatch(
                    batch.map(\.batchLine), agreements: periods.agreements, ceilings: periods.ceilings)
                try await importer.write(batch, plan: plan, consortiumID: consortiumID, actor: actor, connection: connection)
                applied += cut
                pending.removeFirst(cut)
            }
            if last { break }
        }
        try await importer.closeNewLines(connection: connection)
        return applied
    }
}
