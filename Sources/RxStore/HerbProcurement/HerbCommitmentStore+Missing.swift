import Foundation
import PostgresNIO
import RxDomain

/// A member and an item of a round without a commitment yet, with what committing the proposal would commit.
package struct MissingHerbCommitment: Sendable, Equatable {
    package var institutionCode: String
    package var institutionName: String
    package var itemID: Int64
    package var drugCode: String
    package var priorUsageKg: Decimal?
    /// What the round proposes from the prior usage (`HerbProcurementRules.proposal`): set by the use case.
    package var proposedKg: Decimal?
}

extension HerbCommitmentStore {
    /// Each member and item of the round with no commitment (of any status), by institution code then drug code; only
    /// one member's when `institutionID` is given.
    package func missing(
        round: HerbRound, institutionID own: Int64?, institutionCode: String?, drugCode: String?, page: PageRequest
    ) async throws -> Page<MissingHerbCommitment> {
        let roundID = round.id
        return try await database.read { connection in
            // The key of the last row shown: "INSTITUTION DRUG" (neither code holds a space).
            let after = (page.after ?? " ").split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let rows = try await connection.rows(
                """
                SELECT m.code, m.name, i.id, i.drug_code, u.quantity_kg
                FROM institutions m
                JOIN herb_round_items i ON i.consortium_id = m.consortium_id AND i.round_id = \(roundID)
                LEFT JOIN herb_usage u ON u.consortium_id = m.consortium_id AND u.institution_id = m.id
                                      AND u.drug_code = i.drug_code AND u.year = \(round.priorYear)
                WHERE m.consortium_id = \(round.consortiumID)
                  AND NOT EXISTS (SELECT 1 FROM herb_commitments c
                                  WHERE c.consortium_id = i.consortium_id AND c.item_id = i.id AND c.institution_id = m.id)
                  AND (m.code, i.drug_code) > (\(after.first ?? ""), \(after.count > 1 ? after[1] : ""))
                  AND (\(own)::bigint IS NULL OR m.id = \(own))
                  AND (\(institutionCode)::text IS NULL OR m.code = \(institutionCode))
                  AND (\(drugCode)::text IS NULL OR i.drug_code = \(drugCode))
                ORDER BY m.code, i.drug_code LIMIT \(page.limit + 1)
                """, as: (String, String, Int64, String, Decimal?).self, logger: logger)
            return Page(
                rows: rows.map {
                    MissingHerbCommitment(
                        institutionCode: $0.0, institutionName: $0.1, itemID: $0.2, drugCode: $0.3, priorUsageKg: $0.4,
                        proposedKg: nil)
                }, limit: page.limit, key: { "\($0.institutionCode) \($0.drugCode)" })
        }
    }
}
