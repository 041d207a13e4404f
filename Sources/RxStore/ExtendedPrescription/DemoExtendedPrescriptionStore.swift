import Foundation
import PostgresNIO
import RxDomain

/// The demo's extended prescriptions (`seed --demo`, issue 23): what the seed needs to find before it issues them
/// through the use cases. SQL only; the seed chooses what.
package struct DemoExtendedPrescriptionStore: SQLStore {
    let database: Database

    package init(database: Database) { self.database = database }

    /// Whether the consortium has any extended prescription (the demo's are seeded once).
    package func any(consortiumID: Int64) async throws -> Bool {
        try await database.rows(
            "SELECT EXISTS (SELECT 1 FROM extended_prescriptions WHERE consortium_id = \(consortiumID))", as: Bool.self
        ).first ?? false
    }

    /// A drug the long-prescription check lets a community centre prescribe for a chronic disease (a western
    /// cardiovascular drug of the consortium's catalogue in effect on `today`, not controlled, antimicrobial, cold-chain nor
    /// limited to levels) that `issuerID` holds none of and `dispensingID` holds at least `minimum` of at one place
    /// in lots lasting past `lastsUntil` and not blocked; with that place's location code (nil: outside locations).
    package func candidate(
        consortiumID: Int64, issuerID: Int64, dispensingID: Int64, minimum: Int, lastsUntil: BusinessDate, on today: BusinessDate
    ) async throws -> (drugCode: String, locationCode: String?)? {
        try await database.rows(
            """
            SELECT d.code, l.code
            FROM drugs d JOIN catalogue_items c ON c.drug_code = d.code AND c.consortium_id = \(consortiumID)
            JOIN stock_on_hand h ON h.consortium_id = c.consortium_id AND h.institution_id = \(dispensingID)
                 AND h.drug_code = d.code AND h.in_stock AND h.expiry_date > \(lastsUntil.description)::date
            LEFT JOIN stock_locations l ON l.consortium_id = h.consortium_id AND l.id = h.location_id
            WHERE d.category = 'western' AND d.control_class = 'none' AND NOT d.antimicrobial AND NOT d.cold_chain
              AND cardinality(c.levels) = 0 AND d.atc_code LIKE 'C%'
              AND c.version_number = catalogue_version_in_effect(c.consortium_id, \(today.description)::date)
              AND NOT EXISTS (SELECT 1 FROM stock_on_hand o WHERE o.consortium_id = c.consortium_id
                                AND o.institution_id = \(issuerID) AND o.drug_code = d.code AND o.in_stock)
              AND NOT EXISTS (SELECT 1 FROM lot_blocks b WHERE b.consortium_id = c.consortium_id AND b.drug_code = d.code
                                AND b.released_at IS NULL)
            GROUP BY d.code, l.code
            HAVING sum(h.quantity) >= \(minimum)
            ORDER BY d.code, l.code NULLS FIRST
            LIMIT 1
            """, as: (String, String?).self
        ).first.map { (drugCode: $0.0, locationCode: $0.1) }
    }
}
