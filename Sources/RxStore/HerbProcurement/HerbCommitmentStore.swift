import Foundation
import Logging
import PostgresNIO
import RxDomain

package struct HerbDemand: Sendable, Equatable {
    package var itemID: Int64
    package var drugCode: String
    package var grade: String
    package var ceilingPrice: Money
    /// The sum of accepted commitments: the volume shown to bidders.
    package var committedKg: Decimal
    package var members: Int
    package var pendingKg: Decimal
}

package struct HerbProgressRow: Sendable, Equatable {
    package var institutionCode: String
    package var drugCode: String
    package var committedKg: Decimal
    package var boughtKg: Decimal
    package var receivedKg: Decimal
    package var pace: HerbProcurementRules.Pace

    package init(
        institutionCode: String, drugCode: String, committedKg: Decimal, boughtKg: Decimal, receivedKg: Decimal,
        pace: HerbProcurementRules.Pace
    ) {
        self.institutionCode = institutionCode
        self.drugCode = drugCode
        self.committedKg = committedKg
        self.boughtKg = boughtKg
        self.receivedKg = receivedKg
        self.pace = pace
    }
}

/// Members' commitments to a round, the demand they add up to, and the progress of buying against them.
package struct HerbCommitmentStore: SQLStore {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    static let columns = """
        c.id, c.round_id, c.item_id, i.drug_code, m.code, c.quantity_kg, c.prior_usage_kg, c.proposed_kg, c.status, c.reason
        """
    typealias Row = (Int64, Int64, Int64, String, String, Decimal, Decimal?, Decimal?, String, String?)

    static func commitment(_ r: Row) throws -> HerbCommitment {
        HerbCommitment(
            id: r.0, roundID: r.1, itemID: r.2, drugCode: r.3, institutionCode: r.4, quantityKg: r.5, priorUsageKg: r.6,
            proposedKg: r.7, status: try decodeEnum(r.8), reason: r.9)
    }

    package func commitment(id: Int64, roundID: Int64, consortiumID: Int64, connection: PostgresConnection) async throws
        -> HerbCommitment?
    {
        guard
            let row = try await connection.row(
                """
                SELECT \(unescaped: Self.columns) FROM herb_commitments c
                JOIN herb_round_items i ON i.consortium_id = c.consortium_id AND i.id = c.item_id
                JOIN institutions m ON m.consortium_id = c.consortium_id AND m.id = c.institution_id
                WHERE c.consortium_id = \(consortiumID) AND c.round_id = \(roundID) AND c.id = \(id)
                """, as: Row.self, logger: logger)
        else { return nil }
        return try Self.commitment(row)
    }

    // MARK: Committing

    package func memberID(code: String, consortiumID: Int64, connection: PostgresConnection) async throws -> Int64? {
        try await connection.row(
            "SELECT id FROM institutions WHERE consortium_id = \(consortiumID) AND code = \(code)",
            as: Int64.self, logger: logger)
    }

    /// A member's usage of a piece in a year (nil: none recorded).
    package func priorUsage(
        institutionID: Int64, drugCode: String, year: Int, consortiumID: Int64, connection: PostgresConnection
    )
        async throws -> Decimal?
    {
        try await connection.row(
            """
            SELECT quantity_kg FROM herb_usage WHERE consortium_id = \(consortiumID) AND institution_id = \(institutionID)
              AND drug_code = \(drugCode) AND year = \(year)
            """, as: Decimal.self, logger: logger)
    }

    package func insert(
        roundID: Int64, itemID: Int64, institutionID: Int64, quantityKg: Decimal, priorUsageKg: Decimal?,
        proposedKg: Decimal?, status: HerbCommitmentStatus, reason: String?, createdBy tokenID: Int64?, consortiumID: Int64,
        connection: PostgresConnection
    ) async throws -> Int64? {
        try await connection.row(
            """
            INSERT INTO herb_commitments (consortium_id, round_id, item_id, institution_id, quantity_kg, prior_usage_kg,
                                          proposed_kg, status, reason, created_by)
            VALUES (\(consortiumID), \(roundID), \(itemID), \(institutionID), \(quantityKg), \(priorUsageKg), \(proposedKg),
                    \(status.rawValue), \(reason), \(tokenID))
            RETURNING id
            """, as: Int64.self, logger: logger)
    }

    /// The member a commitment is of.
    package func institutionID(commitmentID: Int64, consortiumID: Int64, connection: PostgresConnection) async throws -> Int64? {
        try await connection.row(
            "SELECT institution_id FROM herb_commitments WHERE consortium_id = \(consortiumID) AND id = \(commitmentID)",
            as: Int64.self, logger: logger)
    }

    /// Sets a commitment's quantity and status (a pending one keeps `reason`), clears the lead's decision, and keeps
    /// the change in `herb_commitment_changes`.
    package func change(
        _ before: HerbCommitment, quantityKg: Decimal, status: HerbCommitmentStatus, reason: String, changedBy tokenID: Int64?,
        consortiumID: Int64, connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            UPDATE herb_commitments SET quantity_kg = \(quantityKg), status = \(status.rawValue),
                reason = CASE WHEN \(status.rawValue) = 'pending' THEN \(reason) ELSE reason END,
                decided_by = NULL, decided_at = NULL
            WHERE consortium_id = \(consortiumID) AND id = \(before.id)
            """, logger: logger)
        try await connection.run(
            """
            INSERT INTO herb_commitment_changes (consortium_id, commitment_id, quantity_before, quantity_after, status_before,
                                                 status_after, reason, changed_by)
            VALUES (\(consortiumID), \(before.id), \(before.quantityKg), \(quantityKg), \(before.status.rawValue),
                    \(status.rawValue), \(reason), \(tokenID))
            """, logger: logger)
    }

    package func decide(
        commitmentID: Int64, status: HerbCommitmentStatus, decidedBy tokenID: Int64?, consortiumID: Int64,
        connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            UPDATE herb_commitments SET status = \(status.rawValue), decided_by = \(tokenID), decided_at = now()
            WHERE consortium_id = \(consortiumID) AND id = \(commitmentID)
            """, logger: logger)
    }

    /// The round's commitments, only one member's when `institutionID` is given.
    package func list(round: HerbRound, institutionID own: Int64?, connection: PostgresConnection) async throws
        -> [HerbCommitment]
    {
        try await connection.rows(
            """
            SELECT \(unescaped: Self.columns) FROM herb_commitments c
            JOIN herb_round_items i ON i.consortium_id = c.consortium_id AND i.id = c.item_id
            JOIN institutions m ON m.consortium_id = c.consortium_id AND m.id = c.institution_id
            WHERE c.consortium_id = \(round.consortiumID) AND c.round_id = \(round.id)
              AND (\(own)::bigint IS NULL OR c.institution_id = \(own))
            ORDER BY c.id
            """, as: Row.self, logger: logger
        ).map(Self.commitment)
    }

    /// The round's demand per item: the accepted commitments summed (shown to bidders), and what still waits.
    package func demand(of round: HerbRound, connection: PostgresConnection) async throws -> [HerbDemand] {
        let roundID = round.id
        let sums = try await connection.rows(
            """
            SELECT i.id,
                   coalesce(sum(c.quantity_kg) FILTER (WHERE c.status = 'accepted'), 0),
                   (count(*) FILTER (WHERE c.status = 'accepted'))::int,
                   coalesce(sum(c.quantity_kg) FILTER (WHERE c.status = 'pending'), 0)
            FROM herb_round_items i
            LEFT JOIN herb_commitments c ON c.consortium_id = i.consortium_id AND c.item_id = i.id
            WHERE i.consortium_id = \(round.consortiumID) AND i.round_id = \(roundID)
            GROUP BY i.id ORDER BY i.id
            """, as: (Int64, Decimal, Int, Decimal).self, logger: logger)
        let byItem = Dictionary(sums.map { ($0.0, $0) }, uniquingKeysWith: { a, _ in a })
        return round.items.map { item in
            let s = byItem[item.id]
            return HerbDemand(
                itemID: item.id, drugCode: item.drugCode, grade: item.grade, ceilingPrice: item.ceilingPrice,
                committedKg: s?.1 ?? 0, members: s?.2 ?? 0, pendingKg: s?.3 ?? 0)
        }
    }

    // MARK: Progress

    /// Per member and item on a date: committed (accepted), bought through ordinary purchase orders priced by the
    /// round's award (orders not cancelled, dated up to that day; ordered quantity, received reported too), the
    /// completion rate and the pace expected from the share of the period elapsed. Buying without a commitment shows
    /// as over-commitment.
    package func progress(
        of round: HerbRound, on date: BusinessDate, institutionID own: Int64?, connection: PostgresConnection
    ) async throws -> [(institutionCode: String, drugCode: String, committedKg: Decimal, boughtKg: Decimal, receivedKg: Decimal)]
    {
        let roundID = round.id
        let rows = try await connection.rows(
            """
            WITH c AS (
                SELECT item_id, institution_id, quantity_kg FROM herb_commitments
                WHERE consortium_id = \(round.consortiumID) AND round_id = \(roundID) AND status = 'accepted'
            ), b AS (
                SELECT i.id AS item_id, o.institution_id, sum(l.quantity) AS bought, sum(l.received_quantity) AS received
                FROM herb_round_items i
                JOIN purchase_order_lines l ON l.consortium_id = i.consortium_id AND l.price_agreement_id = i.award_agreement_id
                JOIN purchase_orders o ON o.consortium_id = l.consortium_id AND o.id = l.order_id
                WHERE i.consortium_id = \(round.consortiumID) AND i.round_id = \(roundID) AND o.status <> 'cancelled'
                  AND o.order_date <= \(date.description)::date
                GROUP BY i.id, o.institution_id
            ), j AS (
                SELECT coalesce(c.item_id, b.item_id) AS item_id, coalesce(c.institution_id, b.institution_id) AS institution_id,
                       coalesce(c.quantity_kg, 0) AS committed, coalesce(b.bought, 0) AS bought, coalesce(b.received, 0) AS received
                FROM c FULL JOIN b ON b.item_id = c.item_id AND b.institution_id = c.institution_id
            )
            SELECT m.code, i.drug_code, j.committed, j.bought, j.received
            FROM j JOIN herb_round_items i ON i.consortium_id = \(round.consortiumID) AND i.id = j.item_id
            JOIN institutions m ON m.consortium_id = \(round.consortiumID) AND m.id = j.institution_id
            WHERE (\(own)::bigint IS NULL OR j.institution_id = \(own))
            ORDER BY m.code, i.drug_code
            """, as: (String, String, Decimal, Decimal, Decimal).self, logger: logger)
        return rows.map { (institutionCode: $0.0, drugCode: $0.1, committedKg: $0.2, boughtKg: $0.3, receivedKg: $0.4) }
    }
}
