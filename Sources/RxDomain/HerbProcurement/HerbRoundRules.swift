import Foundation

/// What a joint volume-based round of decoction pieces (中药饮片联合带量采购) accepts while it is set up and run:
/// its draft, its lead, its items, its moves and its bids. Facts in (what the stores read), a refusal out.
/// The state machine, the ranking and the ceilings are `HerbProcurementRules`.
package enum HerbRoundRules {
    /// A new round's own fields, before anything is looked up.
    package static func checkDraft(_ draft: HerbRoundDraft) throws(DomainError) {
        guard !draft.name.trimmingCharacters(in: .whitespaces).isEmpty else { throw .invalid("name", "is required") }
        guard draft.periodEnd >= draft.periodStart else {
            throw .invalid("periodEnd", "\(draft.periodEnd) is before the period start \(draft.periodStart)")
        }
        if draft.awardRule == .multipleWithinMargin && (draft.marginPercent ?? 0) <= 0 {
            throw .invalid("marginPercent", "multiple_within_margin needs a positive margin")
        }
        if let m = draft.marginPercent, m < 0 || m > 100 { throw .invalid("marginPercent", "must be between 0 and 100") }
    }

    /// The institution named to lead a round, as found in the consortium (nil: none by that code).
    package struct Lead: Sendable, Equatable {
        package var id: Int64
        package var type: InstitutionType
        package var hasTestingLab: Bool
        package init(id: Int64, type: InstitutionType, hasTestingLab: Bool) {
            self.id = id
            self.type = type
            self.hasTestingLab = hasTestingLab
        }
    }

    /// A round is led by a TCM hospital (tcm or integrated) with a lab that can inspect the pieces (中药饮片鉴别检测).
    @discardableResult
    package static func checkLead(_ lead: Lead?, code: String, consortiumCode: String) throws(DomainError) -> Lead {
        guard let lead else { throw .invalid("leadInstitutionCode", "no institution \(code) in \(consortiumCode)") }
        guard lead.type.isTCM else {
            throw .invalid(
                "leadInstitutionCode",
                "\(code) is a \(lead.type.rawValue) institution; a round is led by a TCM hospital (tcm or integrated_tcm_western)"
            )
        }
        guard lead.hasTestingLab else {
            throw .invalid("leadInstitutionCode", "\(code) has no testing lab to inspect the pieces (中药饮片鉴别检测)")
        }
        return lead
    }

    /// The commitment ratios: the proposal a member is offered (its prior usage times `proposal`) and the least it
    /// may commit without the lead's acceptance (times `minimum`), both percentages.
    package static func checkCommitmentPercents(proposal: Decimal, minimum: Decimal) throws(DomainError) {
        guard proposal > 0 && proposal <= 100 else { throw .invalid("proposalPercent", "must be above 0 and at most 100") }
        guard minimum >= 0 && minimum <= proposal else {
            throw .invalid("minimumPercent", "\(minimum) must be between 0 and the proposal percent \(proposal)")
        }
    }

    /// A drug as a candidate round item: its category, unit and grade (nil: no drug by that code).
    package struct Piece: Sendable, Equatable {
        package var category: String
        package var unit: String
        package var grade: String?
        package init(category: String, unit: String, grade: String?) {
            self.category = category
            self.unit = unit
            self.grade = grade
        }
    }

    /// Items are added while the round is planned, and only decoction pieces counted in kg; returns the grade the
    /// item takes (the draft's, else the piece's) and its quality standard (the draft's, else the monograph).
    /// Items are added while the round is planned; they are fixed once commitments open (409 naming the state).
    package static func requireItemsOpen(status: HerbRoundStatus, roundID: Int64) throws(DomainError) {
        guard status == .planning else {
            throw .conflict("items are fixed once commitments open; round \(roundID) is \(status.rawValue)")
        }
    }

    package static func checkItem(
        _ draft: HerbItemDraft, roundID: Int64, status: HerbRoundStatus, piece: Piece?, monograph: String?
    ) throws(DomainError) -> (grade: String, qualityStandard: String) {
        try requireItemsOpen(status: status, roundID: roundID)
        guard let piece else { throw .invalid("drugCode", "no drug \(draft.drugCode)") }
        guard piece.category == DrugCategory.decoctionPiece.rawValue, let pieceGrade = piece.grade else {
            throw .invalid("drugCode", "\(draft.drugCode) is not a decoction piece")
        }
        guard piece.unit == "kg" else {
            throw .invalid("drugCode", "\(draft.drugCode) is counted in \(piece.unit); round items are priced per kg")
        }
        guard let standard = draft.qualityStandard ?? monograph else {
            throw .invalid("qualityStandard", "\(draft.drugCode) has no monograph on record; name the quality standard")
        }
        return (draft.grade ?? pieceGrade, standard)
    }

    /// The round's item for a piece, or 422 naming `field`.
    package static func item(of round: HerbRound, drugCode: String, field: String = "drugCode") throws(DomainError)
        -> HerbRoundItem
    {
        guard let item = round.items.first(where: { $0.drugCode == drugCode }) else {
            throw .invalid(field, "\(drugCode) is not an item of round \(round.id)")
        }
        return item
    }

    /// Commitments open only on a round with items.
    package static func checkOpenCommitments(_ round: HerbRound) throws(DomainError) {
        guard !round.items.isEmpty else { throw .conflict("round \(round.id) has no items") }
    }

    /// Bidding opens once the lead has decided every commitment below the minimum (commitments then lock).
    package static func checkOpenBidding(pendingCommitments: Int) throws(DomainError) {
        guard pendingCommitments == 0 else {
            throw .conflict("\(pendingCommitments) commitment(s) below the minimum wait for the lead to accept or reject them")
        }
    }

    /// A bidder as found (nil: no supplier by that code): a manufacturer of decoction pieces, not suspended in the round.
    package struct Bidder: Sendable, Equatable {
        package var id: Int64
        package var makesDecoctionPieces: Bool
        package var suspended: Bool
        package init(id: Int64, makesDecoctionPieces: Bool, suspended: Bool) {
            self.id = id
            self.makesDecoctionPieces = makesDecoctionPieces
            self.suspended = suspended
        }
    }

    @discardableResult
    package static func checkBidder(_ bidder: Bidder?, code: String, roundID: Int64) throws(DomainError) -> Bidder {
        guard let bidder else { throw .invalid("supplierCode", "no supplier \(code)") }
        guard bidder.makesDecoctionPieces else { throw .invalid("supplierCode", "\(code) is not a decoction-piece manufacturer") }
        guard !bidder.suspended else { throw .invalid("supplierCode", "\(code) is suspended in round \(roundID)") }
        return bidder
    }

    /// A bid is at most the item's ceiling and every provincial winning-bid price in effect during the round, of the
    /// grade the round requires, with a quality score of 0–100 and an origin; every problem is named at once.
    package static func checkBid(
        _ draft: HerbBidDraft, item: HerbRoundItem, provincial: [HerbProcurementRules.ProvincialPrice]
    ) throws(DomainError) {
        var problems: [FieldError] = []
        if let problem = HerbProcurementRules.bidPriceProblem(draft.unitPrice, ceiling: item.ceilingPrice, provincial: provincial)
        {
            problems.append(problem)
        }
        if draft.grade != item.grade {
            problems.append(FieldError(field: "grade", reason: "the round requires \(item.grade), not \(draft.grade)"))
        }
        if draft.qualityScore < 0 || draft.qualityScore > 100 {
            problems.append(FieldError(field: "qualityScore", reason: "must be between 0 and 100"))
        }
        if draft.origin.trimmingCharacters(in: .whitespaces).isEmpty {
            problems.append(FieldError(field: "origin", reason: "is required"))
        }
        guard problems.isEmpty else {
            throw .unprocessable(problems.map { "\($0.field): \($0.reason)" }.joined(separator: "; "), problems)
        }
    }

    /// A bid is withdrawn once, with a reason; returns the reason to keep.
    package static func checkWithdrawal(_ bid: HerbBid, reason: String?) throws(DomainError) -> String {
        guard bid.withdrawalReason == nil else {
            throw .conflict("bid \(bid.id) was already withdrawn: \(bid.withdrawalReason ?? "")")
        }
        return try HerbProcurementRules.correctionReason(reason)
    }
}
