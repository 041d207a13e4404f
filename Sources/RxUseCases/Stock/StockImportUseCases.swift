import Foundation
import RxDomain
import RxStore

/// Loads a member's opening balances (期初库存; CSV: drug_code, lot_number, expiry_date, quantity, optional location
/// and unit_cost) in one transaction: any bad line writes nothing, and every bad line is named with its number, field
/// and Chinese reason (`Rejected`). Each line posts an `opening` movement on today's business date; one audit row
/// records the import. The rules are `StockOpeningRules`.
package struct StockImportUseCases: Sendable {
    package typealias Rejected = ProvincialPriceImport.Rejected

    package struct Summary: Sendable, Equatable, Encodable {
        package var institutionCode: String
        package var lines = 0
        package var movements = 0
        package var lots = 0
        package var quantity: Decimal = 0
    }

    let database: Database
    let store: StockImportStore

    package init(database: Database) {
        self.database = database
        self.store = StockImportStore(database: database)
    }

    /// A line as `StockOpeningRules.read` finds it, in the shape the store stages.
    static let read: StockImportStore.LineReader = { drug, lot, expiry, quantity, location, cost in
        switch StockOpeningRules.read(
            drugCode: drug, lotNumber: lot, expiryDate: expiry, quantity: quantity, location: location, unitCost: cost)
        {
        case .success(let line):
            return .good(
                drugCode: line.lot.drugCode, lotNumber: line.lot.lotNumber, expiry: line.lot.expiry.description,
                quantity: DecimalText.plain(line.quantity), location: line.locationCode,
                unitCost: line.unitCost.map(DecimalText.plain))
        case .failure(let refusals):
            return .bad(StockOpeningRules.chinese(refusals.errors))
        }
    }

    package func run(
        input: FileInput, encoding: FileEncoding = .utf8, institutionCode: String, consortiumCode: String,
        today: BusinessDate, actor: Actor
    ) async throws -> Summary {
        try await database.transaction { transaction in
            try await load(
                input, encoding: encoding, institutionCode: institutionCode, consortiumCode: consortiumCode, today: today,
                actor: actor, on: transaction)
        }
    }

    /// Reads, checks and applies the file in the caller's transaction (the seed's, or `run`'s). A code that is no
    /// member of the consortium `consortiumCode` is not found.
    package func load(
        _ input: FileInput, encoding: FileEncoding, institutionCode: String, consortiumCode: String, today: BusinessDate,
        actor: Actor, on connection: StoreConnection
    ) async throws -> Summary {
        let member = try await InstitutionStore(database: database).find(
            code: institutionCode, consortiumCode: consortiumCode, on: connection
        ).orNotFound("no institution \(institutionCode) in \(consortiumCode)")
        let catalogue = try await MemberCatalogueStore(database: database).drugCodes(
            institution: member, on: today, connection: connection)
        let lines: Int
        do {
            lines = try await store.stage(
                input, encoding: encoding, requiredColumns: StockOpeningRules.requiredColumns, read: Self.read,
                on: connection)
        } catch let error as StagedCSV.Unreadable {
            throw Rejected(errors: [.init(line: error.line, reason: error.reason)])
        }
        let limit = ProvincialPriceImport.maxListedErrors
        let (findings, total) = try await store.findings(
            consortiumID: member.consortiumID, institutionID: member.id, catalogue: catalogue.sorted(),
            limit: limit, on: connection)
        if !findings.isEmpty {
            let errors = findings.map { finding -> ProvincialPriceImport.LineError in
                switch finding {
                case .asRead(let line, let reasons):
                    return .init(line: line, reason: reasons)
                case .facts(let facts):
                    return .init(line: facts.line, reason: StockOpeningRules.chinese(StockOpeningRules.refusals(facts)))
                }
            }
            throw Rejected(errors: errors, unlisted: total - errors.count)
        }
        let applied = try await store.apply(
            consortiumID: member.consortiumID, institutionID: member.id, businessDate: today, actor: actor, on: connection)
        try await store.dropStaging(on: connection)
        let summary = Summary(
            institutionCode: member.code, lines: lines, movements: applied.movements, lots: applied.lots,
            quantity: applied.quantity)
        if applied.movements > 0 {
            struct Record: Encodable { var businessDate: String; var summary: Summary }
            try await database.audit.record(
                on: connection, consortiumID: member.consortiumID, actor: actor, action: "import",
                entityType: "stock_opening", entityKey: member.code, before: Record?.none,
                after: Record(businessDate: today.description, summary: summary))
        }
        return summary
    }
}
