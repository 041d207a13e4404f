import Foundation
import PostgresNIO
import RxDomain

/// The distributor (配送企业) contracted for a drug.
package struct DistributorContract: Sendable, Equatable {
    package var drugCode: String
    package var drugName: String
    package var distributorCode: String
    package var distributorName: String
    package var contractedAt: Date
}

/// A consolidated order as the list shows it: its counts and amount, not its lines.
package struct ConsolidatedOrderSummary: Sendable, Equatable {
    package var id: Int64
    package var distributorCode: String
    package var distributorName: String
    package var createdAt: Date
    package var members: Int
    package var orders: Int
    package var lines: Int
    package var amount: Money
}

extension SupplyCentreStore {
    /// The consortium's distributor contracts by drug code, optionally one distributor's or one drug's.
    package func contracts(
        consortium: Consortium, distributorCode: String?, drugCode: String?, page: PageRequest
    ) async throws -> Page<DistributorContract> {
        let rows = try await database.rows(
            """
            SELECT c.drug_code, d.generic_name, s.code, s.name, c.created_at FROM distributor_contracts c
            JOIN drugs d ON d.code = c.drug_code JOIN suppliers s ON s.id = c.distributor_id
            WHERE c.consortium_id = \(consortium.id) AND c.drug_code > \(page.after ?? "")
              AND (\(distributorCode)::text IS NULL OR s.code = \(distributorCode))
              AND (\(drugCode)::text IS NULL OR c.drug_code = \(drugCode))
            ORDER BY c.drug_code LIMIT \(page.limit + 1)
            """, as: (String, String, String, String, Date).self)
        return Page(
            rows: rows.map {
                DistributorContract(
                    drugCode: $0.0, drugName: $0.1, distributorCode: $0.2, distributorName: $0.3, contractedAt: $0.4)
            },
            limit: page.limit, key: \.drugCode)
    }

    /// The consolidated orders, oldest first, with how many members, orders and lines each holds and its amount.
    package func consolidatedOrders(
        consortium: Consortium, distributorCode: String?, page: PageRequest
    ) async throws -> Page<ConsolidatedOrderSummary> {
        let after = page.afterID
        let rows = try await database.rows(
            """
            SELECT co.id, s.code, s.name, co.created_at, t.members, t.orders, t.lines, t.amount
            FROM consolidated_orders co JOIN suppliers s ON s.id = co.distributor_id
            JOIN LATERAL (
                SELECT count(DISTINCT o.institution_id)::int AS members, count(DISTINCT l.order_id)::int AS orders,
                       count(*)::int AS lines, coalesce(sum(l.quantity * l.unit_price), 0) AS amount
                FROM purchase_order_lines l JOIN purchase_orders o ON o.consortium_id = l.consortium_id AND o.id = l.order_id
                WHERE l.consortium_id = co.consortium_id AND l.consolidated_order_id = co.id
            ) t ON true
            WHERE co.consortium_id = \(consortium.id) AND co.id > \(after)
              AND (\(distributorCode)::text IS NULL OR s.code = \(distributorCode))
            ORDER BY co.id LIMIT \(page.limit + 1)
            """, as: (Int64, String, String, Date, Int, Int, Int, Decimal).self)
        return Page(
            rows: rows.map {
                ConsolidatedOrderSummary(
                    id: $0.0, distributorCode: $0.1, distributorName: $0.2, createdAt: $0.3, members: $0.4,
                    orders: $0.5, lines: $0.6, amount: Money($0.7).rounded(2))
            }, limit: page.limit, key: { String($0.id) })
    }
}
