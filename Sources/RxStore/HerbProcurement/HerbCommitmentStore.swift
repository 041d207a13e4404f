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
}

/// Members' commitments to a round, the demand they add up to, and the progress of buying against them.
package struct HerbCommitmentStore: SQLStore {
    let database: Database
    let rounds: HerbRoundStore

    package init(database: Database) {
        self.database = database
        self.rounds = HerbRoundStore(database: database)
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

    func commitment(id: Int64, roundID: Int64, consortiumID: Int64, connection: PostgresConnection) async throws -> HerbCommitment
    {
        guard
            let row = try await connection.row(
                """
                SELECT \(unescaped: Self.columns) FROM herb_commitments c
                JOIN herb_round_items i ON i.consortium_id = c.consortium_id AND i.id = c.item_id
                JOIN institutions m ON m.id = c.institution_id
                WHERE c.consortium_id = \(consortiumID) AND c.round_id = \(roundID) AND c.id = \(id)
                """, as: Row.self, logger: logger)
        else { throw DomainError.notFound("no commitment \(id) in round \(roundID)") }
        return try Self.commitment(row)
    }

    /// Whether the caller sees every member's figures of the round (the lead, auditors, regulators), else only its own.
    func seesAll(_ principal: Principal, round: HerbRound) -> Bool {
        principal.may(.readAllHerbCommitments(consortiumID: round.consortiumID, roundLeadCode: round.leadInstitutionCode))
    }

    // MARK: Committing

    /// A member commits kilograms of an item while commitments are open. Without a quantity it commits the proposal
    /// (prior-year usage × the round's proposal percent); below the minimum share it needs a reason and waits for the lead.
    package func commit(roundID: Int64, _ draft: HerbCommitmentDraft, by principal: Principal) async throws -> HerbCommitment {
        try await database.transaction { connection in
            let round = try await rounds.round(
                id: roundID, consortiumID: try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)"),
                connection: connection, lock: true)
            let member = try HerbRoundRules.checkMember(
                try await connection.row(
                    "SELECT id FROM institutions WHERE consortium_id = \(round.consortiumID) AND code = \(draft.institutionCode)",
                    as: Int64.self, logger: logger),
                code: draft.institutionCode)
            try principal.require(.commitHerbVolume(consortiumID: round.consortiumID, institutionID: member))
            let item = try HerbRoundRules.commitmentItem(of: round, drugCode: draft.drugCode)
            let prior = try await connection.row(
                """
                SELECT quantity_kg FROM herb_usage WHERE consortium_id = \(round.consortiumID) AND institution_id = \(member)
                  AND drug_code = \(item.drugCode) AND year = \(round.priorYear)
                """, as: Decimal.self, logger: logger)
            let proposed = prior.map { HerbProcurementRules.proposal(priorUsage: $0, proposalPercent: round.proposalPercent) }
            let quantity = try HerbRoundRules.commitmentQuantity(
                draft, proposed: proposed, priorYear: round.priorYear, drugCode: item.drugCode)
            let status = try HerbProcurementRules.commitmentStatus(
                quantity: quantity, priorUsage: prior, minimumPercent: round.minimumPercent, reason: draft.reason)
            guard
                let id = try await connection.row(
                    """
                    INSERT INTO herb_commitments (consortium_id, round_id, item_id, institution_id, quantity_kg, prior_usage_kg,
                                                  proposed_kg, status, reason, created_by)
                    VALUES (\(round.consortiumID), \(roundID), \(item.id), \(member), \(quantity), \(prior), \(proposed),
                            \(status.rawValue), \(draft.reason), \(principal.tokenID))
                    RETURNING id
                    """, as: Int64.self, logger: logger)
            else { throw DomainError.conflict("the commitment was not recorded") }
            let created = try await commitment(id: id, roundID: roundID, consortiumID: round.consortiumID, connection: connection)
            try await audit.record(
                on: connection, consortiumID: round.consortiumID, actor: Actor(principal), action: "commit",
                entityType: "herb_commitment", entityKey: String(id), before: HerbCommitment?.none, after: created)
            return created
        }
    }

    /// A member changes its commitment's quantity while commitments are open (they lock when bidding opens: 409
    /// naming the round's state), with the reason (required; kept in `herb_commitment_changes` and the audit trail).
    /// The new quantity is judged afresh: at or above the minimum it counts at once, below it waits for the lead
    /// again with this reason.
    package func change(
        roundID: Int64, commitmentID: Int64, quantityKg: Decimal, reason: String?, by principal: Principal
    ) async throws -> HerbCommitment {
        try await database.transaction { connection in
            let round = try await rounds.round(
                id: roundID, consortiumID: try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)"),
                connection: connection, lock: true)
            let before = try await commitment(
                id: commitmentID, roundID: roundID, consortiumID: round.consortiumID, connection: connection)
            guard
                let member = try await connection.row(
                    "SELECT institution_id FROM herb_commitments WHERE consortium_id = \(round.consortiumID) AND id = \(commitmentID)",
                    as: Int64.self, logger: logger)
            else { throw DomainError.notFound("no commitment \(commitmentID) in round \(roundID)") }
            try principal.require(.commitHerbVolume(consortiumID: round.consortiumID, institutionID: member))
            try HerbProcurementRules.requireCommitmentsOpen(round.status, roundID: roundID)
            let why = try HerbProcurementRules.correctionReason(reason)
            let status = try HerbProcurementRules.commitmentStatus(
                quantity: quantityKg, priorUsage: before.priorUsageKg, minimumPercent: round.minimumPercent, reason: why)
            try await connection.run(
                """
                UPDATE herb_commitments SET quantity_kg = \(quantityKg), status = \(status.rawValue),
                    reason = CASE WHEN \(status.rawValue) = 'pending' THEN \(why) ELSE reason END,
                    decided_by = NULL, decided_at = NULL
                WHERE consortium_id = \(round.consortiumID) AND id = \(commitmentID)
                """, logger: logger)
            try await connection.run(
                """
                INSERT INTO herb_commitment_changes (consortium_id, commitment_id, quantity_before, quantity_after, status_before,
                                                     status_after, reason, changed_by)
                VALUES (\(round.consortiumID), \(commitmentID), \(before.quantityKg), \(quantityKg), \(before.status.rawValue),
                        \(status.rawValue), \(why), \(principal.tokenID))
                """, logger: logger)
            let after = try await commitment(
                id: commitmentID, roundID: roundID, consortiumID: round.consortiumID, connection: connection)
            try await audit.record(
                on: connection, consortiumID: round.consortiumID, actor: Actor(principal), action: "change",
                entityType: "herb_commitment", entityKey: String(commitmentID), before: before,
                after: ReasonedChange(value: after, reason: why, key: "changeReason"))
            return after
        }
    }

    /// The lead accepts or rejects a commitment below the minimum, before bidding opens.
    package func decide(roundID: Int64, commitmentID: Int64, decision: HerbCommitmentDecision, by principal: Principal)
        async throws -> HerbCommitment
    {
        try await database.transaction { connection in
            let round = try await rounds.round(
                id: roundID, consortiumID: try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)"),
                connection: connection, lock: true)
            try principal.require(.runHerbRound(consortiumID: round.consortiumID, roundLeadCode: round.leadInstitutionCode))
            let before = try await commitment(
                id: commitmentID, roundID: roundID, consortiumID: round.consortiumID, connection: connection)
            try HerbRoundRules.checkDecidable(before, roundID: roundID, roundStatus: round.status)
            let next: HerbCommitmentStatus = decision == .accept ? .accepted : .rejected
            try await connection.run(
                """
                UPDATE herb_commitments SET status = \(next.rawValue), decided_by = \(principal.tokenID), decided_at = now()
                WHERE consortium_id = \(round.consortiumID) AND id = \(commitmentID)
                """, logger: logger)
            let after = try await commitment(
                id: commitmentID, roundID: roundID, consortiumID: round.consortiumID, connection: connection)
            try await audit.record(
                on: connection, consortiumID: round.consortiumID, actor: Actor(principal), action: decision.rawValue,
                entityType: "herb_commitment", entityKey: String(commitmentID), before: before, after: after)
            return after
        }
    }

    /// Every commitment of the round for the lead (and auditors, regulators); a member sees its own.
    package func list(roundID: Int64, by principal: Principal) async throws -> [HerbCommitment] {
        try await database.read { connection in
            let round = try await rounds.round(
                id: roundID, consortiumID: try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)"),
                connection: connection)
            let all = seesAll(principal, round: round)
            guard all || principal.institutionID != nil else {
                throw DomainError.forbidden("a member sees its own commitments; this token names no institution")
            }
            let own = all ? nil : principal.institutionID
            return try await connection.rows(
                """
                SELECT \(unescaped: Self.columns) FROM herb_commitments c
                JOIN herb_round_items i ON i.consortium_id = c.consortium_id AND i.id = c.item_id
                JOIN institutions m ON m.id = c.institution_id
                WHERE c.consortium_id = \(round.consortiumID) AND c.round_id = \(roundID)
                  AND (\(own)::bigint IS NULL OR c.institution_id = \(own))
                ORDER BY c.id
                """, as: Row.self, logger: logger
            ).map(Self.commitment)
        }
    }

    /// The round's demand per item: the accepted commitments summed (shown to bidders), and what still waits.
    package func demand(roundID: Int64, by principal: Principal) async throws -> (HerbRound, [HerbDemand]) {
        try await database.read { connection in
            let round = try await rounds.round(
                id: roundID, consortiumID: try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)"),
                connection: connection)
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
            return (
                round,
                round.items.map { item in
                    let s = byItem[item.id]
                    return HerbDemand(
                        itemID: item.id, drugCode: item.drugCode, grade: item.grade, ceilingPrice: item.ceilingPrice,
                        committedKg: s?.1 ?? 0, members: s?.2 ?? 0, pendingKg: s?.3 ?? 0)
                }
            )
        }
    }

    // MARK: Progress

    /// Per member and item on a date: committed (accepted), bought through ordinary purchase orders priced by the
    /// round's award (orders not cancelled, dated up to that day; ordered quantity, received reported too), the
    /// completion rate and the pace expected from the share of the period elapsed. Buying without a commitment shows
    /// as over-commitment.
    package func progress(roundID: Int64, on date: BusinessDate, by principal: Principal) async throws -> (
        HerbRound, [HerbProgressRow]
    ) {
        try await database.read { connection in
            let round = try await rounds.round(
                id: roundID, consortiumID: try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)"),
                connection: connection)
            let all = seesAll(principal, round: round)
            guard all || principal.institutionID != nil else {
                throw DomainError.forbidden("a member sees its own progress; this token names no institution")
            }
            let own = all ? nil : principal.institutionID
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
                JOIN institutions m ON m.id = j.institution_id
                WHERE (\(own)::bigint IS NULL OR j.institution_id = \(own))
                ORDER BY m.code, i.drug_code
                """, as: (String, String, Decimal, Decimal, Decimal).self, logger: logger)
            return (
                round,
                rows.map {
                    HerbProgressRow(
                        institutionCode: $0.0, drugCode: $0.1, committedKg: $0.2, boughtKg: $0.3, receivedKg: $0.4,
                        pace: HerbProcurementRules.pace(
                            committed: $0.2, bought: $0.3, start: round.periodStart, end: round.periodEnd, on: date))
                }
            )
        }
    }
}
