import Foundation
import Logging
import PostgresNIO
import RxDomain

/// Rounds of volume-based joint procurement of decoction pieces: setup, state moves, bids and the award.
package struct HerbRoundStore: SQLStore {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    // MARK: Reading

    typealias RoundRow = (Int64, Int64, String, String, String, String, Int, String, String, Decimal, Decimal, Decimal)

    package func round(id: Int64, consortiumID: Int64, connection: PostgresConnection, lock: Bool = false) async throws
        -> HerbRound?
    {
        let columns = """
            r.id, r.consortium_id, r.name, l.code, r.period_start::text, r.period_end::text, r.prior_year, r.status,
            r.award_rule, r.margin_pct, r.proposal_pct, r.minimum_pct
            """
        let query: PostgresQuery =
            lock
            ? """
            SELECT \(unescaped: columns) FROM herb_rounds r
            JOIN institutions l ON l.consortium_id = r.consortium_id AND l.id = r.lead_institution_id
            WHERE r.consortium_id = \(consortiumID) AND r.id = \(id) FOR UPDATE OF r
            """
            : """
            SELECT \(unescaped: columns) FROM herb_rounds r
            JOIN institutions l ON l.consortium_id = r.consortium_id AND l.id = r.lead_institution_id
            WHERE r.consortium_id = \(consortiumID) AND r.id = \(id)
            """
        guard let r = try await connection.row(query, as: RoundRow.self, logger: logger) else { return nil }
        let items = try await connection.rows(
            """
            SELECT i.id, i.drug_code, d.generic_name, i.grade, i.quality_standard, i.ceiling_price, i.award_agreement_id, a.unit_price
            FROM herb_round_items i JOIN drugs d ON d.code = i.drug_code
            LEFT JOIN price_agreements a ON a.consortium_id = i.consortium_id AND a.id = i.award_agreement_id
            WHERE i.consortium_id = \(consortiumID) AND i.round_id = \(id) ORDER BY i.id
            """, as: (Int64, String, String, String, String, Decimal, Int64?, Decimal?).self, logger: logger
        ).map {
            HerbRoundItem(
                id: $0.0, drugCode: $0.1, drugName: $0.2, grade: $0.3, qualityStandard: $0.4, ceilingPrice: Money($0.5),
                awardAgreementID: $0.6, awardedPrice: $0.7.map(Money.init))
        }
        return HerbRound(
            id: r.0, consortiumID: r.1, name: r.2, leadInstitutionCode: r.3, periodStart: BusinessDate(r.4)!,
            periodEnd: BusinessDate(r.5)!, priorYear: r.6, status: try decodeEnum(r.7), awardRule: try decodeEnum(r.8),
            marginPercent: r.9, proposalPercent: r.10, minimumPercent: r.11, items: items)
    }

    package func round(id: Int64, consortiumID: Int64) async throws -> HerbRound? {
        try await database.read { try await self.round(id: id, consortiumID: consortiumID, connection: $0) }
    }

    package func list(consortium: Consortium, page: PageRequest) async throws -> Page<HerbRound> {
        let after = page.afterID
        return try await database.read { connection in
            let ids = try await connection.rows(
                """
                SELECT id FROM herb_rounds WHERE consortium_id = \(consortium.id) AND id > \(after)
                ORDER BY id LIMIT \(page.limit + 1)
                """, as: Int64.self, logger: logger)
            var rounds: [HerbRound] = []
            for id in ids {
                if let round = try await self.round(id: id, consortiumID: consortium.id, connection: connection) {
                    rounds.append(round)
                }
            }
            return Page(rows: rounds, limit: page.limit, key: { String($0.id) })
        }
    }

    /// The provincial winning-bid prices (省级中标价) of a piece in effect on any day of `[from, through]`, per kg
    /// (a price per package divided by the package's kilograms).
    package func provincialPrices(
        consortiumID: Int64, drugCode: String, from: BusinessDate, through: BusinessDate, connection: PostgresConnection
    ) async throws -> [HerbProcurementRules.ProvincialPrice] {
        try await connection.rows(
            """
            SELECT CASE p.price_unit WHEN 'package' THEN round(p.unit_price / d.package_size, 4) ELSE p.unit_price END,
                   p.bid_reference, p.effective_from::text, p.effective_to::text
            FROM provincial_bid_prices p JOIN drugs d ON d.code = p.drug_code
            WHERE p.consortium_id = \(consortiumID) AND p.drug_code = \(drugCode)
              AND daterange(p.effective_from, p.effective_to) && daterange(\(from.description)::date, \(through.description)::date, '[]')
            ORDER BY p.effective_from
            """, as: (Decimal, String, String, String?).self, logger: logger
        ).map {
            HerbProcurementRules.ProvincialPrice(
                unitPrice: Money($0.0), reference: $0.1, from: BusinessDate($0.2)!, to: $0.3.flatMap(BusinessDate.init))
        }
    }

    package func provincialPrices(_ round: HerbRound, drugCode: String, connection: PostgresConnection) async throws
        -> [HerbProcurementRules.ProvincialPrice]
    {
        try await provincialPrices(
            consortiumID: round.consortiumID, drugCode: drugCode, from: round.periodStart, through: round.periodEnd,
            connection: connection)
    }

    // MARK: Setup

    /// The member that would lead a round, by code.
    package func lead(code: String, consortiumID: Int64, connection: PostgresConnection) async throws -> HerbRoundRules.Lead? {
        let found = try await connection.row(
            """
            SELECT id, type, has_testing_lab FROM institutions WHERE consortium_id = \(consortiumID) AND code = \(code)
            """, as: (Int64, String, Bool).self, logger: logger)
        return try found.map { HerbRoundRules.Lead(id: $0.0, type: try decodeEnum($0.1), hasTestingLab: $0.2) }
    }

    /// Inserts a round with its commitment ratios; returns its id.
    package func insert(
        _ draft: HerbRoundDraft, leadID: Int64, proposalPercent: Decimal, minimumPercent: Decimal, consortiumID: Int64,
        connection: PostgresConnection
    ) async throws -> Int64? {
        try await connection.row(
            """
            INSERT INTO herb_rounds (consortium_id, name, lead_institution_id, period_start, period_end, prior_year,
                                     award_rule, margin_pct, proposal_pct, minimum_pct)
            VALUES (\(consortiumID), \(draft.name), \(leadID), \(draft.periodStart.description)::date,
                    \(draft.periodEnd.description)::date, \(draft.priorYear ?? draft.periodStart.year - 1),
                    \(draft.awardRule.rawValue), \(draft.marginPercent ?? 0), \(proposalPercent), \(minimumPercent))
            RETURNING id
            """, as: Int64.self, logger: logger)
    }

    /// A drug as a round's piece: its category, unit and grade (nil: no such drug).
    package func piece(drugCode: String, connection: PostgresConnection) async throws -> HerbRoundRules.Piece? {
        try await connection.row(
            "SELECT category, unit, grade FROM drugs WHERE code = \(drugCode)", as: (String, String, String?).self,
            logger: logger
        ).map { HerbRoundRules.Piece(category: $0.0, unit: $0.1, grade: $0.2) }
    }

    /// The monograph a piece's quality limits follow (nil: it has none).
    package func monograph(drugCode: String, connection: PostgresConnection) async throws -> String? {
        try await connection.row(
            "SELECT monograph FROM herb_quality_limits WHERE drug_code = \(drugCode)", as: String.self, logger: logger)
    }

    package func insertItem(
        roundID: Int64, _ draft: HerbItemDraft, grade: String, standard: String, consortiumID: Int64,
        connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            INSERT INTO herb_round_items (consortium_id, round_id, drug_code, grade, quality_standard, ceiling_price)
            VALUES (\(consortiumID), \(roundID), \(draft.drugCode), \(grade), \(standard), \(draft.ceilingPrice.amount))
            """, logger: logger)
    }

    // MARK: Moves

    /// Commitments of a round still waiting for the lead's decision.
    package func pendingCommitments(roundID: Int64, consortiumID: Int64, connection: PostgresConnection) async throws -> Int {
        try await connection.row(
            """
            SELECT count(*)::int FROM herb_commitments
            WHERE consortium_id = \(consortiumID) AND round_id = \(roundID) AND status = 'pending'
            """, as: Int.self, logger: logger) ?? 0
    }

    package func setStatus(_ status: HerbRoundStatus, roundID: Int64, consortiumID: Int64, connection: PostgresConnection)
        async throws
    {
        try await connection.run(
            """
            UPDATE herb_rounds SET status = \(status.rawValue), updated_at = now()
            WHERE consortium_id = \(consortiumID) AND id = \(roundID)
            """, logger: logger)
    }

    package func bidsForRanking(roundID: Int64, itemID: Int64, consortiumID: Int64, connection: PostgresConnection) async throws
        -> [HerbProcurementRules.Bid]
    {
        try await connection.rows(
            """
            SELECT b.id, s.code, b.unit_price, b.quality_score,
                   EXISTS (SELECT 1 FROM herb_supplier_suspensions x WHERE x.consortium_id = b.consortium_id
                             AND x.round_id = b.round_id AND x.supplier_id = b.supplier_id)
            FROM herb_bids b JOIN suppliers s ON s.id = b.supplier_id
            WHERE b.consortium_id = \(consortiumID) AND b.round_id = \(roundID) AND b.item_id = \(itemID)
              AND b.withdrawn_at IS NULL
            ORDER BY b.id
            """, as: (Int64, String, Decimal, Decimal, Bool).self, logger: logger
        ).map {
            HerbProcurementRules.Bid(id: $0.0, supplierCode: $0.1, unitPrice: Money($0.2), qualityScore: $0.3, suspended: $0.4)
        }
    }

    /// Takes the drug's price lock, so no provincial price changes while an item is awarded.
    package func lockDrug(consortiumID: Int64, drugCode: String, connection: PostgresConnection) async throws {
        try await PriceStore(database: database).lockDrug(consortiumID: consortiumID, drugCode: drugCode, connection: connection)
    }

    package func insertRanking(
        _ r: HerbProcurementRules.RankedBid, itemID: Int64, round: HerbRound, connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            INSERT INTO herb_bid_rankings (consortium_id, round_id, item_id, bid_id, rank, qualified, winner, share, reason)
            VALUES (\(round.consortiumID), \(round.id), \(itemID), \(r.bidID), \(r.rank), \(r.qualified), \(r.winner),
                    \(r.share), \(r.reason))
            """, logger: logger)
    }

    /// Records `price` as the item's piece's joint_procurement price agreement (per kg, agreed, requested from the
    /// round's period start); its id, nil when the row was not created.
    package func insertAwardAgreement(price: Money, item: HerbRoundItem, round: HerbRound, connection: PostgresConnection)
        async throws -> Int64?
    {
        try await connection.row(
            """
            INSERT INTO price_agreements (consortium_id, drug_code, unit_price, price_unit, source, reference, requested_from, status)
            VALUES (\(round.consortiumID), \(item.drugCode), \(price.amount), 'unit', 'joint_procurement',
                    \("round:\(round.id)"), \(round.periodStart.description)::date, 'agreed')
            RETURNING id
            """, as: Int64.self, logger: logger)
    }

    /// Sets the agreement as the item's award.
    package func setAward(agreementID: Int64, itemID: Int64, consortiumID: Int64, connection: PostgresConnection)
        async throws
    {
        try await connection.run(
            """
            UPDATE herb_round_items SET award_agreement_id = \(agreementID)
            WHERE consortium_id = \(consortiumID) AND id = \(itemID)
            """, logger: logger)
    }

    // MARK: Bids

    /// A supplier as a bidder in a round: whether it makes decoction pieces and whether it is suspended from the round.
    package func bidder(code: String, roundID: Int64, consortiumID: Int64, connection: PostgresConnection) async throws
        -> HerbRoundRules.Bidder?
    {
        try await connection.row(
            """
            SELECT s.id, s.is_manufacturer AND EXISTS (SELECT 1 FROM drugs d WHERE d.category = 'decoction_piece' AND d.manufacturer = s.name),
                   EXISTS (SELECT 1 FROM herb_supplier_suspensions x WHERE x.consortium_id = \(consortiumID)
                             AND x.round_id = \(roundID) AND x.supplier_id = s.id)
            FROM suppliers s WHERE s.code = \(code)
            """, as: (Int64, Bool, Bool).self, logger: logger
        ).map { HerbRoundRules.Bidder(id: $0.0, makesDecoctionPieces: $0.1, suspended: $0.2) }
    }

    package func insertBid(
        _ draft: HerbBidDraft, roundID: Int64, itemID: Int64, supplierID: Int64, createdBy tokenID: Int64?,
        consortiumID: Int64, connection: PostgresConnection
    ) async throws -> Int64? {
        try await connection.row(
            """
            INSERT INTO herb_bids (consortium_id, round_id, item_id, supplier_id, unit_price, grade, origin, quality_score,
                                   quality_reference, created_by)
            VALUES (\(consortiumID), \(roundID), \(itemID), \(supplierID), \(draft.unitPrice.amount), \(draft.grade),
                    \(draft.origin), \(draft.qualityScore), \(draft.qualityReference), \(tokenID))
            RETURNING id
            """, as: Int64.self, logger: logger)
    }

    package func withdrawBid(
        id: Int64, reason: String, withdrawnBy tokenID: Int64?, consortiumID: Int64, connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            UPDATE herb_bids SET withdrawn_at = now(), withdrawn_by = \(tokenID), withdrawal_reason = \(reason)
            WHERE consortium_id = \(consortiumID) AND id = \(id)
            """, logger: logger)
    }

    package func bid(id: Int64, roundID: Int64, consortiumID: Int64, connection: PostgresConnection) async throws
        -> HerbBid?
    {
        guard
            let r = try await connection.row(
                """
                SELECT b.id, b.item_id, i.drug_code, s.code, b.unit_price, b.grade, b.origin, b.quality_score, b.quality_reference,
                       b.withdrawal_reason
                FROM herb_bids b JOIN herb_round_items i ON i.consortium_id = b.consortium_id AND i.id = b.item_id
                JOIN suppliers s ON s.id = b.supplier_id
                WHERE b.consortium_id = \(consortiumID) AND b.round_id = \(roundID) AND b.id = \(id)
                """, as: (Int64, Int64, String, String, Decimal, String, String, Decimal, String, String?).self, logger: logger)
        else { return nil }
        return HerbBid(
            id: r.0, itemID: r.1, drugCode: r.2, supplierCode: r.3, unitPrice: Money(r.4), grade: r.5, origin: r.6,
            qualityScore: r.7, qualityReference: r.8, withdrawalReason: r.9)
    }

    // MARK: Ranking

    /// The accepted commitments of a round, in kg per item.
    package func acceptedDemand(roundID: Int64, consortiumID: Int64, connection: PostgresConnection) async throws
        -> [Int64: Decimal]
    {
        Dictionary(
            try await connection.rows(
                """
                SELECT item_id, sum(quantity_kg) FROM herb_commitments
                WHERE consortium_id = \(consortiumID) AND round_id = \(roundID) AND status = 'accepted' GROUP BY item_id
                """, as: (Int64, Decimal).self, logger: logger),
            uniquingKeysWith: { a, _ in a })
    }

    /// Every bid of a round (withdrawn too) by id: its price and quality score.
    package func bidPrices(roundID: Int64, consortiumID: Int64, connection: PostgresConnection) async throws
        -> [Int64: (unitPrice: Money, qualityScore: Decimal)]
    {
        Dictionary(
            try await connection.rows(
                """
                SELECT b.id, b.unit_price, b.quality_score FROM herb_bids b JOIN suppliers s ON s.id = b.supplier_id
                WHERE b.consortium_id = \(consortiumID) AND b.round_id = \(roundID)
                """, as: (Int64, Decimal, Decimal).self, logger: logger
            ).map { ($0.0, (unitPrice: Money($0.1), qualityScore: $0.2)) }, uniquingKeysWith: { a, _ in a })
    }

    /// The ranking kept at the award, by item and rank.
    package func keptRanking(roundID: Int64, consortiumID: Int64, connection: PostgresConnection) async throws
        -> [(itemID: Int64, bid: HerbProcurementRules.RankedBid)]
    {
        try await connection.rows(
            """
            SELECT k.item_id, k.bid_id, s.code, k.rank, k.qualified, k.winner, k.share, k.reason
            FROM herb_bid_rankings k JOIN herb_bids b ON b.consortium_id = k.consortium_id AND b.id = k.bid_id
            JOIN suppliers s ON s.id = b.supplier_id
            WHERE k.consortium_id = \(consortiumID) AND k.round_id = \(roundID) ORDER BY k.item_id, k.rank
            """, as: (Int64, Int64, String, Int, Bool, Bool, Decimal, String).self, logger: logger
        ).map {
            (
                $0.0,
                HerbProcurementRules.RankedBid(
                    bidID: $0.1, supplierCode: $0.2, rank: $0.3, qualified: $0.4, winner: $0.5, share: $0.6, reason: $0.7)
            )
        }
    }
}
