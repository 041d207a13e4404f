import Foundation
import RxDomain
import RxStore

/// A member's stock in the national insurance 进销存 shapes (3501 counts at the end of `to`, 3502 changes, 3503
/// purchases, 3505 sales of the period). The shapes are `NHSAStockExport`'s.
package struct StockExportUseCases: Sendable {
    package struct Export: Sendable {
        package var institutionCode: String
        package var from: BusinessDate
        package var to: BusinessDate
        /// The records of each interface asked for, in the order asked, each a value per `NHSAInterface.fields`.
        package var records: [(interface: NHSAInterface, rows: [[String]])]
    }

    let database: Database
    let store: StockExportStore

    package init(database: Database) {
        self.database = database
        self.store = StockExportStore(database: database)
    }

    package func export(
        institutionCode: String, consortiumCode: String, from: BusinessDate, to: BusinessDate,
        interfaces: [NHSAInterface]
    ) async throws -> Export {
        try NHSAStockExport.checkPeriod(from: from, to: to)
        return try await database.read { connection in
            let member = try await InstitutionStore(database: database).find(
                code: institutionCode, consortiumCode: consortiumCode, on: connection
            ).orNotFound("no institution \(institutionCode) in \(consortiumCode)")
            var balances: [NHSALotBalance] = []
            if interfaces.contains(.counts) {
                balances = try await store.balances(
                    consortiumID: member.consortiumID, institutionID: member.id, asOf: to, on: connection)
            }
            let reasons = Set(interfaces.flatMap(\.reasons).map(\.rawValue))
            var movements: [NHSAMovement] = []
            if !reasons.isEmpty {
                movements = try await store.movements(
                    consortiumID: member.consortiumID, institutionID: member.id, from: from, to: to,
                    reasons: reasons.sorted(), on: connection)
            }
            return Export(
                institutionCode: member.code, from: from, to: to,
                records: interfaces.map {
                    ($0, NHSAStockExport.records($0, balances: balances, movements: movements, to: to))
                })
        }
    }
}
