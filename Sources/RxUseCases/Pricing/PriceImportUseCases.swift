import Foundation
import RxDomain
import RxStore

/// Imports a provincial winning-bid price list in one transaction (`ProvincialPriceImport` reads, checks and
/// applies it in SQL). The outcome says what came of it; the caller (RxCLI) maps it to text and an exit status.
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
                    try await ProvincialPriceImport(database: database).load(
                        input, encoding: encoding, consortiumCode: consortiumCode, actor: actor, connection: transaction)
                })
        } catch let rejected as ProvincialPriceImport.Rejected {
            return .rejected(rejected)
        }
    }
}
