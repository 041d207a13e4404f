import Foundation
import PostgresNIO
import RxDomain

/// The demo's shortage history (`seed --demo`, issue 22): ward dispensings (real `dispensings` rows, each with its
/// movements, document `dispensing`) spread over the consumption window, so the demo's scan finds shortages. SQL only;
/// the seed chooses what.
package struct DemoShortageStore: SQLStore {
    let database: Database

    package init(database: Database) { self.database = database }

    /// (member, drug) pairs of the consortium's non-lead members holding stock whose every lot lasts (expiring after
    /// `lastsUntil`, none blocked: the demo's near-expiry lots stay as they are) of at least `minimum` units, by
    /// member and drug.
    package func candidates(
        consortiumID: Int64, lastsUntil: BusinessDate, minimum: Int, on connection: StoreConnection
    ) async throws
        -> [(institutionCode: String, drugCode: String)]
    {
        try await connection.rows(
            """
            SELECT i.code, h.drug_code
            FROM stock_on_hand h JOIN institutions i ON i.consortium_id = h.consortium_id AND i.id = h.institution_id
            JOIN consortia c ON c.id = h.consortium_id
            WHERE h.consortium_id = \(consortiumID) AND h.in_stock AND h.expiry_date > \(lastsUntil.description)::date
              AND i.id IS DISTINCT FROM c.lead_institution_id
              AND NOT EXISTS (SELECT 1 FROM lot_blocks b WHERE b.consortium_id = h.consortium_id AND b.drug_code = h.drug_code)
              AND NOT EXISTS (SELECT 1 FROM stock_on_hand o
                              WHERE o.consortium_id = h.consortium_id AND o.institution_id = h.institution_id
                                AND o.drug_code = h.drug_code AND o.in_stock
                                AND o.expiry_date <= \(lastsUntil.description)::date)
            GROUP BY i.code, h.drug_code
            HAVING sum(h.quantity) >= \(minimum)
            ORDER BY i.code, h.drug_code
            """, as: (String, String).self, logger: logger
        ).map { (institutionCode: $0.0, drugCode: $0.1) }
    }

    /// Dispenses `fraction` of each lasting lot of each (member, drug) to a ward, in `count` dispensings every
    /// `everyDays` days before `today` (the last one taking what rounding left). How many dispensings it wrote.
    package func dispense(
        consortiumID: Int64, plan: [(institutionCode: String, drugCode: String, fraction: Decimal)], lastsUntil: BusinessDate,
        today: BusinessDate, count: Int, everyDays: Int, on connection: StoreConnection
    ) async throws -> Int {
        guard !plan.isEmpty else { return 0 }
        return try await connection.rows(
            """
            WITH plan AS (
                SELECT * FROM unnest(\(plan.map(\.institutionCode))::text[], \(plan.map(\.drugCode))::text[],
                                     \(plan.map { "\($0.fraction)" })::text[]) AS p (code, drug, fraction)
            ), lots AS (
                SELECT h.consortium_id, h.institution_id, h.location_id, h.drug_code, h.lot_number, h.expiry_date,
                       floor(h.quantity * p.fraction::numeric) AS total
                FROM stock_on_hand h
                JOIN institutions i ON i.consortium_id = h.consortium_id AND i.id = h.institution_id
                JOIN plan p ON p.code = i.code AND p.drug = h.drug_code
                WHERE h.consortium_id = \(consortiumID) AND h.in_stock
                  AND h.expiry_date > \(lastsUntil.description)::date
            ), portions AS (
                SELECT l.*, n.n,
                       CASE WHEN n.n = \(count) THEN l.total - (\(count) - 1) * floor(l.total / \(count))
                            ELSE floor(l.total / \(count)) END AS quantity
                FROM lots l CROSS JOIN generate_series(1, \(count)::int) AS n (n)
            ), dispensed AS (
                INSERT INTO dispensings (consortium_id, institution_id, location_id, drug_code, quantity, ward,
                                         requested_lot, business_date)
                SELECT consortium_id, institution_id, location_id, drug_code, quantity, '演示病区', lot_number,
                       \(today.description)::date - (n * \(everyDays))::int
                FROM portions WHERE quantity > 0
                RETURNING consortium_id, id, institution_id, location_id, drug_code, quantity, requested_lot, business_date
            )
            INSERT INTO stock_movements (consortium_id, institution_id, location_id, drug_code, lot_number, expiry_date,
                                         reason_code, direction, quantity, document_type, document_id, business_date)
            SELECT d.consortium_id, d.institution_id, d.location_id, d.drug_code, d.requested_lot, l.expiry_date,
                   'dispensing', 'out', d.quantity, 'dispensing', d.id, d.business_date
            FROM dispensed d JOIN lots l ON l.institution_id = d.institution_id AND l.drug_code = d.drug_code
             AND l.lot_number = d.requested_lot AND l.location_id IS NOT DISTINCT FROM d.location_id
            ORDER BY d.id
            RETURNING id
            """, as: Int64.self, logger: logger
        ).count
    }

    /// A supplier's report of a drug standing since `reportedOn`, unless one is already recorded.
    package func report(
        consortiumID: Int64, drugCode: String, reportedOn: BusinessDate, notice: String, on connection: StoreConnection
    ) async throws -> Int {
        try await connection.rows(
            """
            INSERT INTO shortage_supplier_reports (consortium_id, drug_code, supplier_id, reported_on, notice)
            SELECT \(consortiumID), \(drugCode), s.id, \(reportedOn.description)::date, \(notice)
            FROM suppliers s
            WHERE NOT EXISTS (SELECT 1 FROM shortage_supplier_reports r WHERE r.consortium_id = \(consortiumID)
                                AND r.drug_code = \(drugCode))
            ORDER BY s.code LIMIT 1
            RETURNING id
            """, as: Int64.self, logger: logger
        ).count
    }
}
