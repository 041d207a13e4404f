import Foundation
import PostgresNIO
import RxDomain

/// A lot's balance at a member, with the drug's names: what days of stock count as held.
package struct DrugLotBalance: Sendable, Equatable {
    package var institutionCode: String
    package var drugCode: String
    package var genericName: String
    package var unit: String
    package var lot: StockRules.LotOnHand
}

/// A drug's consumption at a member over a window (dispensed less returned), with the drug's names.
package struct DrugConsumption: Sendable, Equatable {
    package var institutionCode: String
    package var drugCode: String
    package var genericName: String
    package var unit: String
    package var consumed: Quantity
}

/// The facts of days of stock: lot balances from `stock_on_hand` and consumption from `stock_daily_consumption`
/// (sql/026), both tables kept by the movements' triggers, so neither read grows with the history.
package struct StockPositionStore: SQLStore {
    let database: Database

    package init(database: Database) { self.database = database }

    /// The lots with stock at one member (or every member), of one drug (or every drug), summed over locations.
    package func lotBalances(consortiumID: Int64, institutionID: Int64?, drugCode: String?) async throws
        -> [DrugLotBalance]
    {
        let rows = try await database.rows(
            """
            SELECT i.code, h.drug_code, d.generic_name, d.unit, min(h.lot_number), h.expiry_date::text, sum(h.quantity),
                   \(unescaped: StockStore.blockOfLot)
            FROM stock_on_hand h JOIN institutions i ON i.consortium_id = h.consortium_id AND i.id = h.institution_id
            JOIN drugs d ON d.code = h.drug_code
            WHERE h.consortium_id = \(consortiumID) AND h.in_stock
              AND (\(institutionID)::bigint IS NULL OR h.institution_id = \(institutionID))
              AND (\(drugCode)::text IS NULL OR h.drug_code = \(drugCode))
            GROUP BY i.code, h.consortium_id, h.drug_code, d.generic_name, d.unit, h.lot_key, h.expiry_date
            ORDER BY i.code, h.drug_code, h.expiry_date
            """, as: (String, String, String, String, String, String, Decimal, String?).self)
        return try rows.map {
            DrugLotBalance(
                institutionCode: $0.0, drugCode: $0.1, genericName: $0.2, unit: $0.3,
                lot: StockRules.LotOnHand(
                    lot: StockLot(drugCode: $0.1, lotNumber: $0.4, expiry: try StockStore.day($0.5)),
                    quantity: Quantity($0.6), block: try $0.7.map { try decodeEnum($0) }))
        }
    }

    /// Consumption from `from` to `to` (business dates, both included) at one member (or every member), of one drug
    /// (or every drug consumed then).
    package func consumption(
        consortiumID: Int64, institutionID: Int64?, drugCode: String?, from: BusinessDate, to: BusinessDate
    ) async throws -> [DrugConsumption] {
        try await database.rows(
            """
            SELECT i.code, c.drug_code, d.generic_name, d.unit, c.consumed
            FROM (SELECT institution_id, drug_code, sum(quantity) AS consumed FROM stock_daily_consumption
                  WHERE consortium_id = \(consortiumID)
                    AND (\(institutionID)::bigint IS NULL OR institution_id = \(institutionID))
                    AND (\(drugCode)::text IS NULL OR drug_code = \(drugCode))
                    AND business_date BETWEEN \(from.description)::date AND \(to.description)::date
                  GROUP BY institution_id, drug_code) c
            JOIN institutions i ON i.consortium_id = \(consortiumID) AND i.id = c.institution_id
            JOIN drugs d ON d.code = c.drug_code
            ORDER BY i.code, c.drug_code
            """, as: (String, String, String, String, Decimal).self
        ).map {
            DrugConsumption(institutionCode: $0.0, drugCode: $0.1, genericName: $0.2, unit: $0.3, consumed: Quantity($0.4))
        }
    }
}
