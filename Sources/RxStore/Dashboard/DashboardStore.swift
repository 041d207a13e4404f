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

    /// `EssentialShare` of each member that bought in `year` (by order date), and of the consortium as a whole (its
    /// row has no institution and counts each drug once), from what the database keeps as lines are received
    /// (`receipts_by_year`, 042_dashboard_facts.sql). Orders are dated the day they are placed, so a year's figures are
    /// that year to date. Spend is the spend report's (`SupplyCentreStore.spend`): received quantity × unified price,
    /// essential meaning on any national edition; decoction pieces left out.
    package func essentialShares(consortiumID: Int64, year: Int, connection: PostgresConnection) async throws
        -> [EssentialShare]
    {
        let rows = try await connection.rows(
            """
            WITH bought AS (
                SELECT i.code, r.drug_code, r.amount,
                       EXISTS (SELECT 1 FROM drug_essential_editions e WHERE e.drug_code = r.drug_code) AS essential
                FROM receipts_by_year r
                JOIN institutions i ON i.consortium_id = r.consortium_id AND i.id = r.institution_id
                JOIN drugs d ON d.code = r.drug_code
                WHERE r.consortium_id = \(consortiumID) AND r.year = \(year) AND r.lines > 0
                  AND d.category <> 'decoction_piece'
            )
            SELECT code, count(DISTINCT drug_code)::int, count(DISTINCT drug_code) FILTER (WHERE essential)::int,
                   round(sum(amount), 2)::text, round(coalesce(sum(amount) FILTER (WHERE essential), 0), 2)::text
            FROM bought GROUP BY GROUPING SETS ((code), ()) HAVING count(*) > 0 ORDER BY code NULLS FIRST
            """, as: (String?, Int, Int, String, String).self, logger: logger)
        return rows.map {
            EssentialShare(
                institutionCode: $0.0, drugs: $0.1, essentialDrugs: $0.2, amount: Money(Self.decimal($0.3)),
                essentialAmount: Money(Self.decimal($0.4)))
        }
    }

    /// Long prescriptions issued in each month of `[from, to]` (by their start date), `YYYY-MM` → count; months
    /// without one are absent. Counted by day in the database (a few hundred rows from the start-date index) and
    /// folded into months here.
    package func longPrescriptionsByMonth(
        consortiumID: Int64, institutionID: Int64?, from: BusinessDate, to: BusinessDate, connection: PostgresConnection
    ) async throws -> [String: Int] {
        let rows = try await connection.rows(
            """
            SELECT start_date::text, count(*)::int FROM long_prescriptions
            WHERE consortium_id = \(consortiumID) AND start_date BETWEEN \(from.description)::date AND \(to.description)::date
              AND (\(institutionID)::bigint IS NULL OR institution_id = \(institutionID))
            GROUP BY start_date
            """, as: (String, Int).self, logger: logger)
        return Dictionary(rows.map { (String($0.0.prefix(7)), $0.1) }, uniquingKeysWith: +)
    }

    /// The stock on hand that expires by `through` (a member's, or every member's), by expiry date: how many holdings,
    /// how many of them carry no unit cost, and the value of those that do (quantity × the holding's unit cost,
    /// summed here so that a province's thousands of lots are not sent one by one).
    package func expiringStock(
        consortiumID: Int64, institutionID: Int64?, through: BusinessDate, connection: PostgresConnection
    ) async throws -> [ExpiringStockValue.Day] {
        try await connection.rows(
            """
            SELECT s.expiry_date::text, count(*)::int, count(*) FILTER (WHERE s.unit_cost IS NULL)::int,
                   coalesce(sum(s.quantity * s.unit_cost), 0)::text
            FROM stock_on_hand s
            WHERE s.consortium_id = \(consortiumID) AND s.in_stock AND s.expiry_date <= \(through.description)::date
              AND (\(institutionID)::bigint IS NULL OR s.institution_id = \(institutionID))
            GROUP BY s.expiry_date
            """, as: (String, Int, Int, String).self, logger: logger
        ).map {
            ExpiringStockValue.Day(
                expiry: BusinessDate($0.0)!, holdings: $0.1, holdingsWithoutCost: $0.2, value: Self.decimal($0.3))
        }
    }

    static func decimal(_ text: String) -> Decimal { Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) ?? 0 }
}
