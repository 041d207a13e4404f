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

    func round(id: Int64, consortiumID: Int64, connection: PostgresConnection, lock: Bool = false) async throws -> HerbRound {
        let columns = """
            r.id, r.consortium_id, r.name, l.code, r.period_start::text, r.period_end::text, r.prior_year, r.status,
            r.award_rule, r.margin_pct, r.proposal_pct, r.minimum_pct
            """
        let query: PostgresQuery =
            lock
            ? """
            SELECT \(unescaped: columns) FROM herb_rounds r JOIN institutions l ON l.id = r.lead_institution_id
            WHERE r.consortium_id = \(consortiumID) AND r.id = \(id) FOR UPDATE OF r
            """
            : """
            SELECT \(unescaped: columns) FROM herb_rounds r JOIN institutions l ON l.id = r.lead_institution_id
            WHERE r.consortium_id = \(consortiumID) AND r.id = \(id)
            """
        guard let r = try await connection.row(query, as: RoundRow.self, logger: logger) else {
            throw DomainError.notFound("no herb round \(id)")
        }
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

    /// A round of the caller's consortium; another consortium's round answers 404.
    package func round(id: Int64, by principal: Principal) async throws -> HerbRound {
        try await database.read {
            try await self.round(
                id: id, consortiumID: try principal.scopedConsortiumID(orNotFound: "no herb round \(id)"), connection: $0)
        }
    }

    package func list(consortium: Consortium, page: PageRequest) async throws -> Page<HerbRound> {
        let after = page.after.flatMap(Int64.init) ?? 0
        return try await database.read { connection in
            let ids = try await connection.rows(
                """
                SELECT id FROM herb_rounds WHERE consortium_id = \(consortium.id) AND id > \(after)
                ORDER BY id LIMIT \(page.limit + 1)
                """, as: Int64.self, logger: logger)
            var rounds: [HerbRound] = []
            for id in ids { rounds.append(try await self.round(id: id, consortiumID: consortium.id, connection: connection)) }
            return Page(rows: rounds, limit: page.limit, key: { String($0.id) })
        }
    }

    /// The provincial winning-bid prices (省级中标价) of a piece in effect on any day of `[from, through]`, per kg
    /// (a price per package divided by the package's kilograms).
    func provincialPrices(
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

    func provincialPrices(_ round: HerbRound, drugCode: String, connection: PostgresConnection) async throws
        -> [HerbProcurementRules.ProvincialPrice]
    {
        try await provincialPrices(
            consortiumID: round.consortiumID, drugCode: drugCode, from: round.periodStart, through: round.periodEnd,
            connection: connection)
    }

    // MARK: Setup

    /// A round led by a TCM institution (tcm or integrated) with a testing lab; the ratios default to the settings.
    package func create(_ draft: HerbRoundDraft, consortium: Consortium, by principal: Principal) async throws -> HerbRound {
        try principal.require(.runHerbRound(consortiumID: consortium.id, roundLeadCode: draft.leadInstitutionCode))
        try HerbRoundRules.checkDraft(draft)
        return try await database.transaction { connection in
            let found = try await connection.row(
                """
                SELECT id, type, has_testing_lab FROM institutions WHERE consortium_id = \(consortium.id) AND code = \(draft.leadInstitutionCode)
                """, as: (Int64, String, Bool).self, logger: logger)
            let lead = try HerbRoundRules.checkLead(
                try found.map { HerbRoundRules.Lead(id: $0.0, type: try decodeEnum($0.1), hasTestingLab: $0.2) },
                code: draft.leadInstitutionCode, consortiumCode: consortium.code)
            let settings = Settings(logger: logger)
            func percent(_ setting: PolicySetting<Decimal>) async throws -> Decimal {
                try await settings.required(
                    setting, consortiumID: consortium.id, on: draft.periodStart, field: "periodStart", connection: connection)
            }
            var proposal = draft.proposalPercent ?? 0
            if draft.proposalPercent == nil { proposal = try await percent(.herbCommitmentProposalPercent) }
            var minimum = draft.minimumPercent ?? 0
            if draft.minimumPercent == nil { minimum = try await percent(.herbCommitmentMinimumPercent) }
            try HerbRoundRules.checkCommitmentPercents(proposal: proposal, minimum: minimum)
            guard
                let id = try await connection.row(
                    """
                    INSERT INTO herb_rounds (consortium_id, name, lead_institution_id, period_start, period_end, prior_year,
                                             award_rule, margin_pct, proposal_pct, minimum_pct)
                    VALUES (\(consortium.id), \(draft.name), \(lead.id), \(draft.periodStart.description)::date,
                            \(draft.periodEnd.description)::date, \(draft.priorYear ?? draft.periodStart.year - 1),
                            \(draft.awardRule.rawValue), \(draft.marginPercent ?? 0), \(proposal), \(minimum))
                    RETURNING id
                    """, as: Int64.self, logger: logger)
            else { throw DomainError.conflict("the round was not created") }
            let created = try await self.round(id: id, consortiumID: consortium.id, connection: connection)
            try await audit.record(
                on: connection, consortiumID: consortium.id, actor: Actor(principal), action: "create",
                entityType: "herb_round", entityKey: String(id), before: HerbRound?.none, after: created)
            return created
        }
    }

    /// Adds a decoction piece to a round in planning, with its grade, monograph and ceiling per kilogram: a ceiling
    /// above the provincial winning-bid price in effect during the round is refused (422 naming both prices).
    package func addItem(roundID: Int64, _ draft: HerbItemDraft, by principal: Principal) async throws -> HerbRound {
        try await database.transaction { connection in
            let before = try await self.round(
                id: roundID, consortiumID: try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)"),
                connection: connection, lock: true)
            try principal.require(.runHerbRound(consortiumID: before.consortiumID, roundLeadCode: before.leadInstitutionCode))
            let piece = try await connection.row(
                "SELECT category, unit, grade FROM drugs WHERE code = \(draft.drugCode)", as: (String, String, String?).self,
                logger: logger
            ).map { HerbRoundRules.Piece(category: $0.0, unit: $0.1, grade: $0.2) }
            let monograph = try await connection.row(
                "SELECT monograph FROM herb_quality_limits WHERE drug_code = \(draft.drugCode)", as: String.self, logger: logger)
            let (grade, standard) = try HerbRoundRules.checkItem(
                draft, roundID: roundID, status: before.status, piece: piece, monograph: monograph)
            try HerbProcurementRules.checkCeiling(
                draft.ceilingPrice,
                provincial: try await provincialPrices(before, drugCode: draft.drugCode, connection: connection))
            try await connection.run(
                """
                INSERT INTO herb_round_items (consortium_id, round_id, drug_code, grade, quality_standard, ceiling_price)
                VALUES (\(before.consortiumID), \(roundID), \(draft.drugCode), \(grade), \(standard),
                        \(draft.ceilingPrice.amount))
                """, logger: logger)
            let after = try await self.round(id: roundID, consortiumID: before.consortiumID, connection: connection)
            try await audit.record(
                on: connection, consortiumID: before.consortiumID, actor: Actor(principal), action: "add_item",
                entityType: "herb_round", entityKey: String(roundID), before: before, after: after)
            return after
        }
    }

    // MARK: Moves

    /// Moves a round on; 409 when its state does not allow the move. Bidding opens only once every commitment
    /// below the minimum was decided (commitments lock then); the award ranks the bids and puts the prices in effect.
    package func move(roundID: Int64, action: HerbRoundAction, by principal: Principal) async throws -> HerbRound {
        try await database.transaction { connection in
            let before = try await self.round(
                id: roundID, consortiumID: try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)"),
                connection: connection, lock: true)
            try principal.require(.runHerbRound(consortiumID: before.consortiumID, roundLeadCode: before.leadInstitutionCode))
            let next = try HerbProcurementRules.next(before.status, action)
            switch action {
            case .openCommitments:
                try HerbRoundRules.checkOpenCommitments(before)
            case .openBidding:
                let pending =
                    try await connection.row(
                        """
                        SELECT count(*)::int FROM herb_commitments
                        WHERE consortium_id = \(before.consortiumID) AND round_id = \(roundID) AND status = 'pending'
                        """, as: Int.self, logger: logger) ?? 0
                try HerbRoundRules.checkOpenBidding(pendingCommitments: pending)
            case .award:
                try await award(before, principal: principal, connection: connection)
            case .execute, .close:
                break
            }
            try await connection.run(
                """
                UPDATE herb_rounds SET status = \(next.rawValue), updated_at = now()
                WHERE consortium_id = \(before.consortiumID) AND id = \(roundID)
                """, logger: logger)
            let after = try await self.round(id: roundID, consortiumID: before.consortiumID, connection: connection)
            try await audit.record(
                on: connection, consortiumID: before.consortiumID, actor: Actor(principal), action: action.rawValue,
                entityType: "herb_round", entityKey: String(roundID), before: before, after: after)
            return after
        }
    }

    func bidsForRanking(roundID: Int64, itemID: Int64, consortiumID: Int64, connection: PostgresConnection) async throws
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

    /// Ranks every item's bids (a bid above a provincial winning-bid price in effect during the round does not
    /// qualify, so the unified price never exceeds it), keeps the ranking, and makes the winning price the unified
    /// price of the piece from the round's period start (a joint_procurement price agreement, per kg, left open
    /// until a later price). With several winners the unified price is the lowest winning price: one price for
    /// every member. The drug's price lock is taken before the provincial prices are read, so none changes meanwhile.
    private func award(_ round: HerbRound, principal: Principal, connection: PostgresConnection) async throws {
        let prices = PriceStore(database: database)
        for item in round.items {
            try await prices.lockDrug(consortiumID: round.consortiumID, drugCode: item.drugCode, connection: connection)
            let bids = try await bidsForRanking(
                roundID: round.id, itemID: item.id, consortiumID: round.consortiumID, connection: connection)
            let provincial = try await provincialPrices(round, drugCode: item.drugCode, connection: connection)
            let ranked = HerbProcurementRules.rank(
                bids, rule: round.awardRule, marginPercent: round.marginPercent, ceiling: item.ceilingPrice,
                provincial: provincial)
            for r in ranked {
                try await connection.run(
                    """
                    INSERT INTO herb_bid_rankings (consortium_id, round_id, item_id, bid_id, rank, qualified, winner, share, reason)
                    VALUES (\(round.consortiumID), \(round.id), \(item.id), \(r.bidID), \(r.rank), \(r.qualified), \(r.winner),
                            \(r.share), \(r.reason))
                    """, logger: logger)
            }
            guard let first = ranked.first(where: \.winner), let price = bids.first(where: { $0.id == first.bidID })?.unitPrice
            else {
                continue
            }
            guard
                let id = try await connection.row(
                    """
                    INSERT INTO price_agreements (consortium_id, drug_code, unit_price, price_unit, source, reference, requested_from, status)
                    VALUES (\(round.consortiumID), \(item.drugCode), \(price.amount), 'unit', 'joint_procurement',
                            \("round:\(round.id)"), \(round.periodStart.description)::date, 'agreed')
                    RETURNING id
                    """, as: Int64.self, logger: logger)
            else { throw DomainError.conflict("the award of \(item.drugCode) was not recorded") }
            let agreement = try await prices.agreement(id: id, consortiumID: round.consortiumID, connection: connection)
            try await prices.takeEffect(
                agreement, from: round.periodStart, consortiumID: round.consortiumID, connection: connection)
            try await connection.run(
                """
                UPDATE herb_round_items SET award_agreement_id = \(id)
                WHERE consortium_id = \(round.consortiumID) AND id = \(item.id)
                """, logger: logger)
            let inEffect = try await prices.agreement(id: id, consortiumID: round.consortiumID, connection: connection)
            try await audit.record(
                on: connection, consortiumID: round.consortiumID, actor: Actor(principal), action: "award",
                entityType: "price_agreement", entityKey: String(id), before: PriceAgreement?.none, after: inEffect)
        }
    }

    // MARK: Bids

    /// A decoction-piece manufacturer's bid, entered by the lead: at most the ceiling, of the grade required.
    package func bid(roundID: Int64, _ draft: HerbBidDraft, by principal: Principal) async throws -> HerbBid {
        try await database.transaction { connection in
            let round = try await self.round(
                id: roundID, consortiumID: try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)"),
                connection: connection, lock: true)
            try principal.require(.runHerbRound(consortiumID: round.consortiumID, roundLeadCode: round.leadInstitutionCode))
            try HerbProcurementRules.requireBidding(round.status, roundID: roundID)
            let item = try HerbRoundRules.item(of: round, drugCode: draft.drugCode)
            let provincial = try await provincialPrices(round, drugCode: item.drugCode, connection: connection)
            let supplier = try await connection.row(
                """
                SELECT s.id, s.is_manufacturer AND EXISTS (SELECT 1 FROM drugs d WHERE d.category = 'decoction_piece' AND d.manufacturer = s.name),
                       EXISTS (SELECT 1 FROM herb_supplier_suspensions x WHERE x.consortium_id = \(round.consortiumID)
                                 AND x.round_id = \(roundID) AND x.supplier_id = s.id)
                FROM suppliers s WHERE s.code = \(draft.supplierCode)
                """, as: (Int64, Bool, Bool).self, logger: logger)
            let bidder = try HerbRoundRules.checkBidder(
                supplier.map { HerbRoundRules.Bidder(id: $0.0, makesDecoctionPieces: $0.1, suspended: $0.2) },
                code: draft.supplierCode, roundID: roundID)
            try HerbRoundRules.checkBid(draft, item: item, provincial: provincial)
            guard
                let id = try await connection.row(
                    """
                    INSERT INTO herb_bids (consortium_id, round_id, item_id, supplier_id, unit_price, grade, origin, quality_score,
                                           quality_reference, created_by)
                    VALUES (\(round.consortiumID), \(roundID), \(item.id), \(bidder.id), \(draft.unitPrice.amount), \(draft.grade),
                            \(draft.origin), \(draft.qualityScore), \(draft.qualityReference), \(principal.tokenID))
                    RETURNING id
                    """, as: Int64.self, logger: logger)
            else { throw DomainError.conflict("the bid was not recorded") }
            let created = HerbBid(
                id: id, itemID: item.id, drugCode: item.drugCode, supplierCode: draft.supplierCode, unitPrice: draft.unitPrice,
                grade: draft.grade, origin: draft.origin, qualityScore: draft.qualityScore,
                qualityReference: draft.qualityReference)
            try await audit.record(
                on: connection, consortiumID: round.consortiumID, actor: Actor(principal), action: "bid",
                entityType: "herb_bid", entityKey: String(id), before: HerbBid?.none, after: created)
            return created
        }
    }

    /// The lead withdraws a bid (a mistyped price, a supplier that pulled out) until bidding closes, with the reason
    /// (required, kept on the bid and in the audit trail). A withdrawn bid no longer ranks; the supplier may bid again.
    /// After the award: 409 naming the round's state.
    package func withdrawBid(roundID: Int64, bidID: Int64, reason: String?, by principal: Principal) async throws -> HerbBid {
        try await database.transaction { connection in
            let round = try await self.round(
                id: roundID, consortiumID: try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)"),
                connection: connection, lock: true)
            try principal.require(.runHerbRound(consortiumID: round.consortiumID, roundLeadCode: round.leadInstitutionCode))
            let before = try await bid(id: bidID, roundID: roundID, consortiumID: round.consortiumID, connection: connection)
            try HerbProcurementRules.requireBidding(round.status, roundID: roundID)
            let why = try HerbRoundRules.checkWithdrawal(before, reason: reason)
            try await connection.run(
                """
                UPDATE herb_bids SET withdrawn_at = now(), withdrawn_by = \(principal.tokenID), withdrawal_reason = \(why)
                WHERE consortium_id = \(round.consortiumID) AND id = \(bidID)
                """, logger: logger)
            let after = try await bid(id: bidID, roundID: roundID, consortiumID: round.consortiumID, connection: connection)
            try await audit.record(
                on: connection, consortiumID: round.consortiumID, actor: Actor(principal), action: "withdraw",
                entityType: "herb_bid", entityKey: String(bidID), before: before, after: after)
            return after
        }
    }

    func bid(id: Int64, roundID: Int64, consortiumID: Int64, connection: PostgresConnection) async throws -> HerbBid {
        guard
            let r = try await connection.row(
                """
                SELECT b.id, b.item_id, i.drug_code, s.code, b.unit_price, b.grade, b.origin, b.quality_score, b.quality_reference,
                       b.withdrawal_reason
                FROM herb_bids b JOIN herb_round_items i ON i.consortium_id = b.consortium_id AND i.id = b.item_id
                JOIN suppliers s ON s.id = b.supplier_id
                WHERE b.consortium_id = \(consortiumID) AND b.round_id = \(roundID) AND b.id = \(id)
                """, as: (Int64, Int64, String, String, Decimal, String, String, Decimal, String, String?).self, logger: logger)
        else { throw DomainError.notFound("no bid \(id) in round \(roundID)") }
        return HerbBid(
            id: r.0, itemID: r.1, drugCode: r.2, supplierCode: r.3, unitPrice: Money(r.4), grade: r.5, origin: r.6,
            qualityScore: r.7, qualityReference: r.8, withdrawalReason: r.9)
    }

    /// The ranking kept at the award; while bidding, the ranking as it stands (provisional, not kept).
    package func ranking(roundID: Int64, by principal: Principal) async throws -> (provisional: Bool, rows: [HerbRankingRow]) {
        try await database.read { connection in
            let round = try await self.round(
                id: roundID, consortiumID: try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)"),
                connection: connection)
            let demand = Dictionary(
                try await connection.rows(
                    """
                    SELECT item_id, sum(quantity_kg) FROM herb_commitments
                    WHERE consortium_id = \(round.consortiumID) AND round_id = \(roundID) AND status = 'accepted' GROUP BY item_id
                    """, as: (Int64, Decimal).self, logger: logger),
                uniquingKeysWith: { a, _ in a })
            let bids = Dictionary(
                try await connection.rows(
                    """
                    SELECT b.id, s.code, b.unit_price, b.quality_score FROM herb_bids b JOIN suppliers s ON s.id = b.supplier_id
                    WHERE b.consortium_id = \(round.consortiumID) AND b.round_id = \(roundID)
                    """, as: (Int64, String, Decimal, Decimal).self, logger: logger
                ).map { ($0.0, $0) }, uniquingKeysWith: { a, _ in a })
            var rows: [HerbRankingRow] = []
            func row(_ item: HerbRoundItem, _ r: HerbProcurementRules.RankedBid) -> HerbRankingRow {
                let bid = bids[r.bidID]
                return HerbRankingRow(
                    itemID: item.id, drugCode: item.drugCode, bidID: r.bidID, supplierCode: r.supplierCode,
                    unitPrice: Money(bid?.2 ?? 0), qualityScore: bid?.3 ?? 0, rank: r.rank, qualified: r.qualified,
                    winner: r.winner,
                    share: r.share, volumeKg: HerbProcurementRules.round((demand[item.id] ?? 0) * r.share, 3), reason: r.reason)
            }
            if round.status == .planning || round.status == .commitmentsOpen || round.status == .bidding {
                for item in round.items {
                    let current = try await bidsForRanking(
                        roundID: roundID, itemID: item.id, consortiumID: round.consortiumID, connection: connection)
                    let provincial = try await provincialPrices(round, drugCode: item.drugCode, connection: connection)
                    rows += HerbProcurementRules.rank(
                        current, rule: round.awardRule, marginPercent: round.marginPercent, ceiling: item.ceilingPrice,
                        provincial: provincial
                    ).map { row(item, $0) }
                }
                return (true, rows)
            }
            let kept = try await connection.rows(
                """
                SELECT k.item_id, k.bid_id, s.code, k.rank, k.qualified, k.winner, k.share, k.reason
                FROM herb_bid_rankings k JOIN herb_bids b ON b.consortium_id = k.consortium_id AND b.id = k.bid_id
                JOIN suppliers s ON s.id = b.supplier_id
                WHERE k.consortium_id = \(round.consortiumID) AND k.round_id = \(roundID) ORDER BY k.item_id, k.rank
                """, as: (Int64, Int64, String, Int, Bool, Bool, Decimal, String).self, logger: logger)
            for k in kept {
                guard let item = round.items.first(where: { $0.id == k.0 }) else { continue }
                rows.append(
                    row(
                        item,
                        .init(bidID: k.1, supplierCode: k.2, rank: k.3, qualified: k.4, winner: k.5, share: k.6, reason: k.7)))
            }
            return (false, rows)
        }
    }
}
