import Foundation

/// A volume-based joint procurement round of decoction pieces (中药饮片联合带量采购), from planning to closed.
package enum HerbRoundStatus: String, Sendable, Codable, CaseIterable {
    case planning
    case commitmentsOpen = "commitments_open"
    case bidding, awarded, executing, closed
}

package enum HerbRoundAction: String, Sendable, Codable, CaseIterable {
    case openCommitments = "open_commitments"
    case openBidding = "open_bidding"
    case award, execute, close
}

/// How a round's items are awarded.
package enum HerbAwardRule: String, Sendable, Codable, CaseIterable {
    /// The lowest qualified price wins (ties: higher quality score, then the earlier bid).
    case lowestPrice = "lowest_price"
    /// Every qualified bid within the margin of the lowest wins, the volume shared equally.
    case multipleWithinMargin = "multiple_within_margin"
}

/// A member's commitment: counted once accepted. One below the round's minimum share waits for the lead.
package enum HerbCommitmentStatus: String, Sendable, Codable, CaseIterable {
    case accepted, pending, rejected
}

package enum HerbCommitmentDecision: String, Sendable, Codable, CaseIterable {
    case accept, reject
}

/// The lead lab's verdict on a delivered lot.
package enum HerbInspectionResult: String, Sendable, Codable, CaseIterable {
    case passed, rejected
}

// MARK: Rounds, items and bids

package struct HerbRoundItem: Sendable, Equatable, Encodable {
    package var id: Int64
    package var drugCode: String
    package var drugName: String
    package var grade: String
    package var qualityStandard: String
    package var ceilingPrice: Money
    package var awardAgreementID: Int64? = nil
    package var awardedPrice: Money? = nil

    package init(
        id: Int64, drugCode: String, drugName: String, grade: String, qualityStandard: String, ceilingPrice: Money,
        awardAgreementID: Int64? = nil, awardedPrice: Money? = nil
    ) {
        self.id = id
        self.drugCode = drugCode
        self.drugName = drugName
        self.grade = grade
        self.qualityStandard = qualityStandard
        self.ceilingPrice = ceilingPrice
        self.awardAgreementID = awardAgreementID
        self.awardedPrice = awardedPrice
    }
}

package struct HerbRound: Sendable, Equatable, Encodable {
    package var id: Int64
    package var consortiumID: Int64
    package var name: String
    package var leadInstitutionCode: String
    package var periodStart: BusinessDate
    package var periodEnd: BusinessDate
    package var priorYear: Int
    package var status: HerbRoundStatus
    package var awardRule: HerbAwardRule
    package var marginPercent: Decimal
    package var proposalPercent: Decimal
    package var minimumPercent: Decimal
    package var items: [HerbRoundItem]

    package init(
        id: Int64, consortiumID: Int64, name: String, leadInstitutionCode: String, periodStart: BusinessDate,
        periodEnd: BusinessDate, priorYear: Int, status: HerbRoundStatus, awardRule: HerbAwardRule, marginPercent: Decimal,
        proposalPercent: Decimal, minimumPercent: Decimal, items: [HerbRoundItem]
    ) {
        self.id = id
        self.consortiumID = consortiumID
        self.name = name
        self.leadInstitutionCode = leadInstitutionCode
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.priorYear = priorYear
        self.status = status
        self.awardRule = awardRule
        self.marginPercent = marginPercent
        self.proposalPercent = proposalPercent
        self.minimumPercent = minimumPercent
        self.items = items
    }
}

package struct HerbRoundDraft: Sendable {
    package var name: String
    package var leadInstitutionCode: String
    package var periodStart: BusinessDate
    package var periodEnd: BusinessDate
    package var awardRule: HerbAwardRule
    package var marginPercent: Decimal? = nil
    package var proposalPercent: Decimal? = nil
    package var minimumPercent: Decimal? = nil
    package var priorYear: Int? = nil
    package init(
        name: String, leadInstitutionCode: String, periodStart: BusinessDate, periodEnd: BusinessDate, awardRule: HerbAwardRule,
        marginPercent: Decimal? = nil, proposalPercent: Decimal? = nil, minimumPercent: Decimal? = nil, priorYear: Int? = nil
    ) {
        self.name = name
        self.leadInstitutionCode = leadInstitutionCode
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.awardRule = awardRule
        self.marginPercent = marginPercent
        self.proposalPercent = proposalPercent
        self.minimumPercent = minimumPercent
        self.priorYear = priorYear
    }
}

package struct HerbItemDraft: Sendable {
    package var drugCode: String
    package var grade: String? = nil
    package var qualityStandard: String? = nil
    package var ceilingPrice: Money
    package init(drugCode: String, grade: String? = nil, qualityStandard: String? = nil, ceilingPrice: Money) {
        self.drugCode = drugCode
        self.grade = grade
        self.qualityStandard = qualityStandard
        self.ceilingPrice = ceilingPrice
    }
}

package struct HerbBidDraft: Sendable {
    package var drugCode: String
    package var supplierCode: String
    package var unitPrice: Money
    package var grade: String
    package var origin: String
    package var qualityScore: Decimal
    package var qualityReference: String
    package init(
        drugCode: String, supplierCode: String, unitPrice: Money, grade: String, origin: String, qualityScore: Decimal,
        qualityReference: String
    ) {
        self.drugCode = drugCode
        self.supplierCode = supplierCode
        self.unitPrice = unitPrice
        self.grade = grade
        self.origin = origin
        self.qualityScore = qualityScore
        self.qualityReference = qualityReference
    }
}

package struct HerbBid: Sendable, Equatable, Encodable {
    package var id: Int64
    package var itemID: Int64
    package var drugCode: String
    package var supplierCode: String
    package var unitPrice: Money
    package var grade: String
    package var origin: String
    package var qualityScore: Decimal
    package var qualityReference: String
    /// Why the lead withdrew it while bidding; nil for a live bid.
    package var withdrawalReason: String? = nil

    package init(
        id: Int64, itemID: Int64, drugCode: String, supplierCode: String, unitPrice: Money, grade: String, origin: String,
        qualityScore: Decimal, qualityReference: String, withdrawalReason: String? = nil
    ) {
        self.id = id
        self.itemID = itemID
        self.drugCode = drugCode
        self.supplierCode = supplierCode
        self.unitPrice = unitPrice
        self.grade = grade
        self.origin = origin
        self.qualityScore = qualityScore
        self.qualityReference = qualityReference
        self.withdrawalReason = withdrawalReason
    }
}

package struct HerbRankingRow: Sendable, Equatable, Encodable {
    package var itemID: Int64
    package var drugCode: String
    package var bidID: Int64
    package var supplierCode: String
    package var unitPrice: Money
    package var qualityScore: Decimal
    package var rank: Int
    package var qualified: Bool
    package var winner: Bool
    package var share: Decimal
    /// The winner's part of the item's committed volume.
    package var volumeKg: Decimal
    package var reason: String

    package init(
        itemID: Int64, drugCode: String, bidID: Int64, supplierCode: String, unitPrice: Money, qualityScore: Decimal, rank: Int,
        qualified: Bool, winner: Bool, share: Decimal, volumeKg: Decimal, reason: String
    ) {
        self.itemID = itemID
        self.drugCode = drugCode
        self.bidID = bidID
        self.supplierCode = supplierCode
        self.unitPrice = unitPrice
        self.qualityScore = qualityScore
        self.rank = rank
        self.qualified = qualified
        self.winner = winner
        self.share = share
        self.volumeKg = volumeKg
        self.reason = reason
    }
}
