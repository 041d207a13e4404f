import Foundation
import Logging
import PostgresNIO
import RxDomain

/// The SQL of the NHSA 进销存 export (`StockExportUseCases`): a member's lots at the end of a day and its movements
/// of a period, read from `stock_movements` (index `stock_movements_member_day`).
package struct StockExportStore: SQLStore {
    let database: Database

    package init(database: Database) { self.database = database }

    /// Every lot the member held at the end of `asOf` (summed over its locations), quantity zero included.
    package func balances(consortiumID: Int64, institutionID: Int64, asOf: BusinessDate, on connection: PostgresConnection)
        async throws -> [NHSALotBalance]
    {
        let rows = try await connection.rows(
            """
            SELECT m.drug_code, d.generic_name, (array_agg(m.lot_number ORDER BY m.id))[1], m.lot_key, m.expiry_date::text,
                   sum(CASE m.direction WHEN 'in' THEN m.quantity ELSE -m.quantity END)
            FROM stock_movements m JOIN drugs d ON d.code = m.drug_code
            WHERE m.consortium_id = \(consortiumID) AND m.institution_id = \(institutionID)
              AND m.business_date <= \(asOf.description)::date
            GROUP BY m.drug_code, d.generic_name, m.lot_key, m.expiry_date
            ORDER BY m.drug_code, m.lot_key
            """, as: (String, String, String, String, String, Decimal).self, logger: logger)
        return rows.map {
            NHSALotBalance(
                drugCode: $0.0, drugName: $0.1, lotNumber: $0.2, lotKey: $0.3, expiry: BusinessDate($0.4)!, quantity: $0.5)
        }
    }

    /// The member's movements with one of `reasons` whose business date is in [from, to], in the order posted.
    package func movements(
        consortiumID: Int64, institutionID: Int64, from: BusinessDate, to: BusinessDate, reasons: [String],
        on connection: PostgresConnection
    ) async throws -> [NHSAMovement] {
        let rows = try await connection.rows(
            """
            SELECT m.id, m.drug_code, d.generic_name, d.manufacturer, m.lot_number, m.lot_key, m.expiry_date::text,
                   m.reason_code, m.quantity, m.unit_cost,
                   to_char(m.occurred_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), nullif(t.name, ''),
                   m.document_type, m.document_id, s.name, s.distribution_licence,
                   (SELECT min(c.code) FROM dispensed_traceability_codes c
                    WHERE c.consortium_id = m.consortium_id AND c.movement_id = m.id)
            FROM stock_movements m
            JOIN drugs d ON d.code = m.drug_code
            LEFT JOIN api_tokens t ON t.id = m.actor_token_id
            LEFT JOIN deliveries dl ON m.document_type = 'delivery' AND dl.consortium_id = m.consortium_id
                                   AND dl.id = m.document_id
            LEFT JOIN purchase_order_lines l ON l.consortium_id = dl.consortium_id AND l.order_id = dl.order_id
                                            AND l.line_no = dl.line_no
            LEFT JOIN consolidated_orders co ON co.consortium_id = l.consortium_id AND co.id = l.consolidated_order_id
            LEFT JOIN suppliers s ON s.id = co.distributor_id
            WHERE m.consortium_id = \(consortiumID) AND m.institution_id = \(institutionID)
              AND m.business_date BETWEEN \(from.description)::date AND \(to.description)::date
              AND m.reason_code = ANY(\(reasons)::text[])
            ORDER BY m.business_date, m.id
            """,
            as: (
                Int64, String, String, String?, String, String, String, String, Decimal, Decimal?, String, String?, String,
                Int64?, String?, String?, String?
            ).self, logger: logger)
        return rows.compactMap { r in
            guard let reason = StockMovementReason(rawValue: r.7) else { return nil }
            return NHSAMovement(
                id: r.0, drugCode: r.1, drugName: r.2, manufacturer: r.3, lotNumber: r.4, lotKey: r.5,
                expiry: BusinessDate(r.6)!, reason: reason, quantity: r.8, unitCost: r.9, occurredAt: r.10, actorName: r.11,
                documentType: r.12, documentID: r.13, supplierName: r.14, supplierLicence: r.15,
                traceabilityCode: r.16)
        }
    }
}
