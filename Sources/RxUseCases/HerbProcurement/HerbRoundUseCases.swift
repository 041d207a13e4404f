import Foundation
import RxDomain
import RxStore

/// Rounds of volume-based joint procurement of decoction pieces (中药饮片带量联合采购): setup, state moves, bids and
/// the award.
package struct HerbRoundUseCases: Sendable {
    let database: Database
    let rounds: HerbRoundStore

    package init(database: Database) {
        self.database = database
        self.rounds = HerbRoundStore(database: database)
    }

    /// A round of the caller's consortium; another consortium's round answers 404.
    package func round(id: Int64, by principal: Principal) async throws -> HerbRound {
        let consortiumID = try principal.scopedConsortiumID(orNotFound: "no herb round \(id)")
        return try await rounds.round(id: id, consortiumID: consortiumID).orNotFound("no herb round \(id)")
    }

    package func list(consortium: Consortium, page: PageRequest) async throws -> Page<HerbRound> {
        try await rounds.list(consortium: consortium, page: page)
    }

    // MARK: Setup

    /// A round led by a TCM institution (tcm or integrated) with a testing lab; the ratios default to the settings.
    package func create(_ draft: HerbRoundDraft, consortium: Consortium, by principal: Principal) async throws -> HerbRound {
        try principal.require(.runHerbRound(consortiumID: consortium.id, roundLeadCode: draft.leadInstitutionCode))
        try HerbRoundRules.checkDraft(draft)
        return try await database.transaction { transaction in
            let lead = try HerbRoundRules.checkLead(
                try await rounds.lead(code: draft.leadInstitutionCode, consortiumID: consortium.id, connection: transaction),
                code: draft.leadInstitutionCode, consortiumCode: consortium.code)
            let settings = Settings(logger: database.logger)
            var proposal = draft.proposalPercent ?? 0
            if draft.proposalPercent == nil {
                proposal = try await settings.required(
                    .herbCommitmentProposalPercent, consortiumID: consortium.id, on: draft.periodStart, field: "periodStart",
                    connection: transaction)
            }
            var minimum = draft.minimumPercent ?? 0
            if draft.minimumPercent == nil {
                minimum = try await settings.required(
                    .herbCommitmentMinimumPercent, consortiumID: consortium.id, on: draft.periodStart, field: "periodStart",
                    connection: transaction)
            }
            try HerbRoundRules.checkCommitmentPercents(proposal: proposal, minimum: minimum)
            guard
                let id = try await rounds.insert(
                    draft, leadID: lead.id, proposalPercent: proposal, minimumPercent: minimum, consortiumID: consortium.id,
                    connection: transaction)
            else { throw DomainError.conflict("the round was not created") }
            let created = try await rounds.round(id: id, consortiumID: consortium.id, connection: transaction)
                .orNotFound("no herb round \(id)")
            try await database.audit.record(
                on: transaction, consortiumID: consortium.id, actor: Actor(principal), action: "create",
                entityType: "herb_round", entityKey: String(id), before: HerbRound?.none, after: created)
            return created
        }
    }

    /// Adds a decoction piece to a round in planning, with its grade, monograph and ceiling per kilogram: a ceiling
    /// above the provincial winning-bid price in effect during the round is refused (422 naming both prices).
    package func addItem(roundID: Int64, _ draft: HerbItemDraft, by principal: Principal) async throws -> HerbRound {
        try await database.transaction { transaction in
            let consortiumID = try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)")
            let before = try await rounds.round(id: roundID, consortiumID: consortiumID, connection: transaction, lock: true)
                .orNotFound("no herb round \(roundID)")
            try principal.require(.runHerbRound(consortiumID: before.consortiumID, roundLeadCode: before.leadInstitutionCode))
            let piece = try await rounds.piece(drugCode: draft.drugCode, connection: transaction)
            let monograph = try await rounds.monograph(drugCode: draft.drugCode, connection: transaction)
            let (grade, standard) = try HerbRoundRules.checkItem(
                draft, roundID: roundID, status: before.status, piece: piece, monograph: monograph)
            try HerbProcurementRules.checkCeiling(
                draft.ceilingPrice,
                provincial: try await rounds.provincialPrices(before, drugCode: draft.drugCode, connection: transaction))
            try await rounds.insertItem(
                roundID: roundID, draft, grade: grade, standard: standard, consortiumID: before.consortiumID,
                connection: transaction)
            let after = try await rounds.round(id: roundID, consortiumID: before.consortiumID, connection: transaction)
                .orNotFound("no herb round \(roundID)")
            try await database.audit.record(
                on: transaction, consortiumID: before.consortiumID, actor: Actor(principal), action: "add_item",
                entityType: "herb_round", entityKey: String(roundID), before: before, after: after)
            return after
        }
    }

    // MARK: Moves

    /// Moves a round on; 409 when its state does not allow the move. Bidding opens only once every commitment
    /// below the minimum was decided (commitments lock then); the award ranks the bids and puts the prices in effect.
    package func move(roundID: Int64, action: HerbRoundAction, by principal: Principal) async throws -> HerbRound {
        try await database.transaction { transaction in
            let consortiumID = try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)")
            let before = try await rounds.round(id: roundID, consortiumID: consortiumID, connection: transaction, lock: true)
                .orNotFound("no herb round \(roundID)")
            try principal.require(.runHerbRound(consortiumID: before.consortiumID, roundLeadCode: before.leadInstitutionCode))
            let next = try HerbProcurementRules.next(before.status, action)
            switch action {
            case .openCommitments:
                try HerbRoundRules.checkOpenCommitments(before)
            case .openBidding:
                try HerbRoundRules.checkOpenBidding(
                    pendingCommitments: try await rounds.pendingCommitments(
                        roundID: roundID, consortiumID: before.consortiumID, connection: transaction))
            case .award:
                // Ranks every item's bids (a bid above a provincial winning-bid price in effect during the round does
                // not qualify, so the unified price never exceeds it), keeps the ranking, and makes the lowest winning
                // price the unified price of the piece: one price for every member. The drug's price lock is taken
                // before the provincial prices are read, so none changes meanwhile.
                for item in before.items {
                    try await rounds.lockDrug(
                        consortiumID: before.consortiumID, drugCode: item.drugCode, connection: transaction)
                    let bids = try await rounds.bidsForRanking(
                        roundID: before.id, itemID: item.id, consortiumID: before.consortiumID, connection: transaction)
                    let provincial = try await rounds.provincialPrices(before, drugCode: item.drugCode, connection: transaction)
                    let ranked = HerbProcurementRules.rank(
                        bids, rule: before.awardRule, marginPercent: before.marginPercent, ceiling: item.ceilingPrice,
                        provincial: provincial)
                    for r in ranked {
                        try await rounds.insertRanking(r, itemID: item.id, round: before, connection: transaction)
                    }
                    guard let first = ranked.first(where: \.winner),
                        let price = bids.first(where: { $0.id == first.bidID })?.unitPrice
                    else { continue }
                    let inEffect = try await recordAward(price: price, item: item, round: before, connection: transaction)
                    try await database.audit.record(
                        on: transaction, consortiumID: before.consortiumID, actor: Actor(principal), action: "award",
                        entityType: "price_agreement", entityKey: String(inEffect.id), before: PriceAgreement?.none,
                        after: inEffect)
                }
            case .execute, .close:
                break
            }
            try await rounds.setStatus(next, roundID: roundID, consortiumID: before.consortiumID, connection: transaction)
            let after = try await rounds.round(id: roundID, consortiumID: before.consortiumID, connection: transaction)
                .orNotFound("no herb round \(roundID)")
            try await database.audit.record(
                on: transaction, consortiumID: before.consortiumID, actor: Actor(principal), action: action.rawValue,
                entityType: "herb_round", entityKey: String(roundID), before: before, after: after)
            return after
        }
    }

    // MARK: Bids

    /// A decoction-piece manufacturer's bid, entered by the lead: at most the ceiling, of the grade required.
    package func bid(roundID: Int64, _ draft: HerbBidDraft, by principal: Principal) async throws -> HerbBid {
        try await database.transaction { transaction in
            let consortiumID = try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)")
            let round = try await rounds.round(id: roundID, consortiumID: consortiumID, connection: transaction, lock: true)
                .orNotFound("no herb round \(roundID)")
            try principal.require(.runHerbRound(consortiumID: round.consortiumID, roundLeadCode: round.leadInstitutionCode))
            try HerbProcurementRules.requireBidding(round.status, roundID: roundID)
            let item = try HerbRoundRules.item(of: round, drugCode: draft.drugCode)
            let provincial = try await rounds.provincialPrices(round, drugCode: item.drugCode, connection: transaction)
            let bidder = try HerbRoundRules.checkBidder(
                try await rounds.bidder(
                    code: draft.supplierCode, roundID: roundID, consortiumID: round.consortiumID, connection: transaction),
                code: draft.supplierCode, roundID: roundID)
            try HerbRoundRules.checkBid(draft, item: item, provincial: provincial)
            guard
                let id = try await rounds.insertBid(
                    draft, roundID: roundID, itemID: item.id, supplierID: bidder.id, createdBy: principal.tokenID,
                    consortiumID: round.consortiumID, connection: transaction)
            else { throw DomainError.conflict("the bid was not recorded") }
            let created = HerbBid(
                id: id, itemID: item.id, drugCode: item.drugCode, supplierCode: draft.supplierCode, unitPrice: draft.unitPrice,
                grade: draft.grade, origin: draft.origin, qualityScore: draft.qualityScore,
                qualityReference: draft.qualityReference)
            try await database.audit.record(
                on: transaction, consortiumID: round.consortiumID, actor: Actor(principal), action: "bid",
                entityType: "herb_bid", entityKey: String(id), before: HerbBid?.none, after: created)
            return created
        }
    }

    /// The lead withdraws a bid (a mistyped price, a supplier that pulled out) until bidding closes, with the reason
    /// (required, kept on the bid and in the audit trail). A withdrawn bid no longer ranks; the supplier may bid again.
    /// After the award: 409 naming the round's state.
    package func withdrawBid(roundID: Int64, bidID: Int64, reason: String?, by principal: Principal) async throws -> HerbBid {
        try await database.transaction { transaction in
            let consortiumID = try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)")
            let round = try await rounds.round(id: roundID, consortiumID: consortiumID, connection: transaction, lock: true)
                .orNotFound("no herb round \(roundID)")
            try principal.require(.runHerbRound(consortiumID: round.consortiumID, roundLeadCode: round.leadInstitutionCode))
            let before = try await rounds.bid(
                id: bidID, roundID: roundID, consortiumID: round.consortiumID, connection: transaction
            ).orNotFound("no bid \(bidID) in round \(roundID)")
            try HerbProcurementRules.requireBidding(round.status, roundID: roundID)
            let why = try HerbRoundRules.checkWithdrawal(before, reason: reason)
            try await rounds.withdrawBid(
                id: bidID, reason: why, withdrawnBy: principal.tokenID, consortiumID: round.consortiumID,
                connection: transaction)
            let after = try await rounds.bid(
                id: bidID, roundID: roundID, consortiumID: round.consortiumID, connection: transaction
            ).orNotFound("no bid \(bidID) in round \(roundID)")
            try await database.audit.record(
                on: transaction, consortiumID: round.consortiumID, actor: Actor(principal), action: "withdraw",
                entityType: "herb_bid", entityKey: String(bidID), before: before, after: after)
            return after
        }
    }

    /// The ranking kept at the award; while bidding, the ranking as it stands (provisional, not kept).
    package func ranking(roundID: Int64, by principal: Principal) async throws -> (provisional: Bool, rows: [HerbRankingRow]) {
        try await database.read { connection in
            let consortiumID = try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)")
            let round = try await rounds.round(id: roundID, consortiumID: consortiumID, connection: connection)
                .orNotFound("no herb round \(roundID)")
            let demand = try await rounds.acceptedDemand(
                roundID: roundID, consortiumID: round.consortiumID, connection: connection)
            let bids = try await rounds.bidPrices(roundID: roundID, consortiumID: round.consortiumID, connection: connection)
            func row(_ item: HerbRoundItem, _ r: HerbProcurementRules.RankedBid) -> HerbRankingRow {
                let bid = bids[r.bidID]
                return HerbRankingRow(
                    itemID: item.id, drugCode: item.drugCode, bidID: r.bidID, supplierCode: r.supplierCode,
                    unitPrice: bid?.unitPrice ?? Money(0), qualityScore: bid?.qualityScore ?? 0, rank: r.rank,
                    qualified: r.qualified, winner: r.winner, share: r.share,
                    volumeKg: HerbProcurementRules.round((demand[item.id] ?? 0) * r.share, 3), reason: r.reason)
            }
            var rows: [HerbRankingRow] = []
            if round.status == .planning || round.status == .commitmentsOpen || round.status == .bidding {
                for item in round.items {
                    let current = try await rounds.bidsForRanking(
                        roundID: roundID, itemID: item.id, consortiumID: round.consortiumID, connection: connection)
                    let provincial = try await rounds.provincialPrices(round, drugCode: item.drugCode, connection: connection)
                    rows += HerbProcurementRules.rank(
                        current, rule: round.awardRule, marginPercent: round.marginPercent, ceiling: item.ceilingPrice,
                        provincial: provincial
                    ).map { row(item, $0) }
                }
                return (true, rows)
            }
            for kept in try await rounds.keptRanking(roundID: roundID, consortiumID: round.consortiumID, connection: connection) {
                guard let item = round.items.first(where: { $0.id == kept.itemID }) else { continue }
                rows.append(row(item, kept.bid))
            }
            return (false, rows)
        }
    }

    /// Makes `price` the unified price of the item's piece from the round's period start: a joint_procurement price
    /// agreement, per kg, in effect until a later price, set as the item's award. Returns the agreement in effect.
    func recordAward(price: Money, item: HerbRoundItem, round: HerbRound, connection: StoreConnection) async throws
        -> PriceAgreement
    {
        let prices = PriceStore(database: database)
        guard let id = try await rounds.insertAwardAgreement(price: price, item: item, round: round, connection: connection)
        else { throw DomainError.conflict("the award of \(item.drugCode) was not recorded") }
        let agreement = try await prices.agreement(id: id, consortiumID: round.consortiumID, connection: connection)
        try await prices.putInEffect(agreement, from: round.periodStart, consortiumID: round.consortiumID, connection: connection)
        try await rounds.setAward(agreementID: id, itemID: item.id, consortiumID: round.consortiumID, connection: connection)
        return try await prices.agreement(id: id, consortiumID: round.consortiumID, connection: connection)
    }
}
