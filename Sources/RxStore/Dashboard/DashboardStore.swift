import Foundation
import Logging
import PostgresNIO
import RxDomain

/// The dashboards' own aggregates: those no list of the service already gives.
package struct DashboardStore: SQLStore {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    /// `EssentialShare` of each member that bought in `[from, to]` (by order date), and of the consortium as a whole
    /// (its row has no institution and counts each drug once). Spend is the spend report's (`SupplyCentreStore.spend`):
    /// received quantity × unified price, essential meaning on any national edition; decoction pieces left out.
    package func essentialShares(
        consortiumID: Int64, from: BusinessDate, to: BusinessDate, connection: PostgresConnection
    ) async throws -> [EssentialShare] {
        let rows = try await connection.rows(
            """
            WITH lines AS (
                SELECT i.code, l.drug_code, l.received_quantity * l.unit_price AS amount,
                       EXISTS (SELECT 1 FROM drug_essential_editions e WHERE e.drug_code = l.drug_code) AS essential
                FROM purchase_order_lines l
                JOIN purchase_orders o ON o.consortium_id = l.consortium_id AND o.id = l.order_id
                JOIN institutions i ON i.id = o.institution_id
                JOIN drugs d ON d.code = l.drug_code
                WHERE l.consortium_id = \(consortiumID) AND l.received_quantity > 0
                  AND o.order_date BETWEEN \(from.description)::date AND \(to.description)::date
                  AND d.category <> 'decoction_piece'
            )
            SELECT code, count(DISTINCT drug_code)::int, count(DISTINCT drug_code) FILTER (WHERE essential)::int,
                   round(sum(amount), 2)::text, round(coalesce(sum(amount) FILTER (WHERE essential), 0), 2)::text
            FROM lines GROUP BY GROUPING SETS ((code), ()) HAVING count(*) > 0 ORDER BY code NULLS FIRST
            """, as: (String?, Int, Int, String, String).self, logger: logger)
        return rows.map {
            EssentialShare(
                institutionCode: $0.0, drugs: $0.1, essentialDrugs: $0.2, amount: Money(Self.decimal($0.3)),
                essentialAmount: Money(Self.decimal($0.4)))
        }
    }

    /// Long prescriptions issued in each month of `[from, to]` (by their start date), `YYYY-MM` → count; months
    /// without one are absent.
    package func longPrescriptionsByMonth(
        consortiumID: Int64, institutionID: Int64?, from: BusinessDate, to: BusinessDate, connection: PostgresConnection
    ) async throws -> [String: Int] {
        let rows = try await connection.rows(
            """
            SELECT to_char(start_date, 'YYYY-MM'), count(*)::int FROM long_prescriptions
            WHERE consortium_id = \(consortiumID) AND start_date BETWEEN \(from.description)::date AND \(to.description)::date
              AND (\(institutionID)::bigint IS NULL OR institution_id = \(institutionID))
            GROUP BY 1
            """, as: (String, Int).self, logger: logger)
        return Dictionary(rows.map { ($0.0, $0.1) }, uniquingKeysWith: +)
    }

    /// The holdings on hand that expire by `through` (a member's, or every member's), with the unit cost their lot's
    /// latest inward movement carried (nil when none did).
    package func expiringHoldings(
        consortiumID: Int64, institutionID: Int64?, through: BusinessDate, connection: PostgresConnection
    ) async throws -> [(expiry: BusinessDate, quantity: Decimal, unitCost: Decimal?)] {
        try await connection.rows(
            """
            SELECT s.expiry_date::text, s.quantity::text,
                   (SELECT m.unit_cost FROM stock_movements m
                    WHERE m.consortium_id = s.consortium_id AND m.institution_id = s.institution_id
                      AND m.drug_code = s.drug_code AND m.lot_key = s.lot_key AND m.unit_cost IS NOT NULL
                    ORDER BY m.id DESC LIMIT 1)::text
            FROM stock_on_hand s
            WHERE s.consortium_id = \(consortiumID) AND s.in_stock AND s.expiry_date <= \(through.description)::date
              AND (\(institutionID)::bigint IS NULL OR s.institution_id = \(institutionID))
            """, as: (String, String, String?).self, logger: logger
        ).map { (BusinessDate($0.0)!, Self.decimal($0.1), $0.2.map(Self.decimal)) }
    }

    static func decimal(_ text: String) -> Decimal { Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) ?? 0 }
}
