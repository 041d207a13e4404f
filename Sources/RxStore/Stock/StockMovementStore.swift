import Foundation
import Logging
import PostgresNIO
import RxDomain

/// A movement to post: where, which lot, why, how much, and the document it comes from.
package struct NewStockMovement: Sendable, Equatable {
    package var institutionID: Int64
    package var locationID: Int64?
    package var lot: StockLot
    package var reason: StockMovementReason
    package var quantity: Quantity
    package var documentType: StockDocumentType
    package var documentID: Int64?
    package var businessDate: BusinessDate
    /// The cost of one unit, when known (a delivery's order price); the NHSA exports report it.
    package var unitCost: Decimal?

    package init(
        institutionID: Int64, locationID: Int64?, lot: StockLot, reason: StockMovementReason, quantity: Quantity,
        documentType: StockDocumentType, documentID: Int64?, businessDate: BusinessDate, unitCost: Decimal? = nil
    ) {
        self.institutionID = institutionID
        self.locationID = locationID
        self.lot = lot
        self.reason = reason
        self.quantity = quantity
        self.documentType = documentType
        self.documentID = documentID
        self.businessDate = businessDate
        self.unitCost = unitCost
    }
}

/// Posts movements to the ledger (`stock_movements`). The trigger keeps `stock_on_hand` in the same statement and
/// refuses a lot going below zero (23514), quarantined stock leaving but destroyed or returned, and a lot held with
/// another expiry date.
package struct StockMovementStore: SQLStore {
    let database: Database

    package init(database: Database) { self.database = database }

    /// Inserts the movements in one statement, in order; returns their ids in the same order.
    @discardableResult
    package func post(_ movements: [NewStockMovement], consortiumID: Int64, actorTokenID: Int64?, on connection: StoreConnection)
        async throws -> [Int64]
    {
        guard !movements.isEmpty else { return [] }
        let institutions = movements.map(\.institutionID)
        let locations = movements.map { $0.locationID ?? 0 }
        let drugs = movements.map(\.lot.drugCode)
        let lots = movements.map(\.lot.lotNumber)
        let expiries = movements.map(\.lot.expiry.description)
        let reasons = movements.map(\.reason.rawValue)
        let directions = movements.map(\.reason.direction.rawValue)
        let quantities = movements.map { "\($0.quantity.value)" }
        let documentTypes = movements.map(\.documentType.rawValue)
        let documentIDs = movements.map { $0.documentID ?? 0 }
        let days = movements.map(\.businessDate.description)
        let costs = movements.map { $0.unitCost.map { "\($0)" } ?? "" }
        return try await connection.rows(
            PostMovements(
                consortiumID: consortiumID, actorTokenID: actorTokenID, institutions: institutions, locations: locations,
                drugs: drugs, lots: lots, expiries: expiries, reasons: reasons, directions: directions,
                quantities: quantities, documentTypes: documentTypes, documentIDs: documentIDs, days: days, costs: costs),
            logger: logger)
    }

    /// Every receipt, dispensing and transfer posts through this one statement, prepared once per connection.
    struct PostMovements: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO stock_movements (consortium_id, institution_id, location_id, drug_code, lot_number, expiry_date,
                                         reason_code, direction, quantity, document_type, document_id, actor_token_id,
                                         business_date, unit_cost)
            SELECT $1, m.institution_id, NULLIF(m.location_id, 0), m.drug_code, m.lot_number, m.expiry::date,
                   m.reason, m.direction, m.quantity::numeric, m.document_type, NULLIF(m.document_id, 0),
                   $2, m.day::date, NULLIF(m.unit_cost, '')::numeric
            FROM unnest($3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                        $10::text[], $11::text[], $12::bigint[], $13::text[], $14::text[])
                 WITH ORDINALITY AS m(institution_id, location_id, drug_code, lot_number, expiry, reason, direction,
                                      quantity, document_type, document_id, day, unit_cost, n)
            ORDER BY m.n
            RETURNING id
            """
        static let bindingDataTypes: [PostgresDataType] = [
            .int8, .int8, .int8Array, .int8Array, .textArray, .textArray, .textArray, .textArray, .textArray,
            .textArray, .textArray, .int8Array, .textArray, .textArray,
        ]
        typealias Row = Int64
        var consortiumID: Int64
        var actorTokenID: Int64?
        var institutions: [Int64]
        var locations: [Int64]
        var drugs: [String]
        var lots: [String]
        var expiries: [String]
        var reasons: [String]
        var directions: [String]
        var quantities: [String]
        var documentTypes: [String]
        var documentIDs: [Int64]
        var days: [String]
        var costs: [String]

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 14)
            bindings.append(consortiumID)
            bindings.append(actorTokenID)
            for column in [institutions, locations] { bindings.append(column) }
            for column in [drugs, lots, expiries, reasons, directions, quantities, documentTypes] { bindings.append(column) }
            bindings.append(documentIDs)
            bindings.append(days)
            bindings.append(costs)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int64.self) }
    }
}
