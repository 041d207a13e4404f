import Foundation

/// A volume-based joint procurement round of decoction pieces (中药饮片联合带量采购), from planning to closed.
public enum HerbRoundStatus: String, Sendable, Codable, CaseIterable {
    case planning
    case commitmentsOpen = "commitments_open"
    case bidding, awarded, executing, closed
}

public enum HerbRoundAction: String, Sendable, Codable, CaseIterable {
    case openCommitments = "open_commitments"
    case openBidding = "open_bidding"
    case award, execute, close
}

/// How a round's items are awarded.
public enum HerbAwardRule: String, Sendable, Codable, CaseIterable {
    /// The lowest qualified price wins (ties: higher quality score, then the earlier bid).
    case lowestPrice = "lowest_price"
    /// Every qualified bid within the margin of the lowest wins, the volume shared equally.
    case multipleWithinMargin = "multiple_within_margin"
}

/// A member's commitment: counted once accepted. One below the round's minimum share waits for the lead.
public enum HerbCommitmentStatus: String, Sendable, Codable, CaseIterable {
    case accepted, pending, rejected
}

public enum HerbCommitmentDecision: String, Sendable, Codable, CaseIterable {
    case accept, reject
}

/// The lead lab's verdict on a delivered lot.
public enum HerbInspectionResult: String, Sendable, Codable, CaseIterable {
    case passed, rejected
}

// MARK: Rounds, items and bids

public struct HerbRoundItem: Sendable, Equatable, Encodable {
    public var id: Int64
    public var drugCode: String
    public var drugName: String
    public var grade: String
    public var qualityStandard: String
    public var ceilingPrice: Money
    public var awardAgreementID: Int64? = nil
    public var awardedPrice: Money? = nil

    public init(
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

public struct HerbRound: Sendable, Equatable, Encodable {
    public var id: Int64
    public var consortiumID: Int64
    public var name: String
    public var leadInstitutionCode: String
    public var periodStart: BusinessDate
    public var periodEnd: BusinessDate
    public var priorYear: Int
    public var status: HerbRoundStatus
    public var awardRule: HerbAwardRule
    public var marginPercent: Decimal
    public var proposalPercent: Decimal
    public var minimumPercent: Decimal
    public var items: [HerbRoundItem]

    public init(
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

public struct HerbRoundDraft: Sendable {
    public var name: String
    public var leadInstitutionCode: String
    public var periodStart: BusinessDate
    public var periodEnd: BusinessDate
    public var awardRule: HerbAwardRule
    public var marginPercent: Decimal? = nil
    public var proposalPercent: Decimal? = nil
    public var minimumPercent: Decimal? = nil
    public var priorYear: Int? = nil
    public init(
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

public struct HerbItemDraft: Sendable {
    public var drugCode: String
    public var grade: String? = nil
    public var qualityStandard: String? = nil
    public var ceilingPrice: Money
    public init(drugCode: String, grade: String? = nil, qualityStandard: String? = nil, ceilingPrice: Money) {
        self.drugCode = drugCode
        self.grade = grade
        self.qualityStandard = qualityStandard
        self.ceilingPrice = ceilingPrice
    }
}

public struct HerbBidDraft: Sendable {
    public var drugCode: String
    public var supplierCode: String
    public var unitPrice: Money
    public var grade: String
    public var origin: String
    public var qualityScore: Decimal
    public var qualityReference: String
    public init(
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

public struct HerbBid: Sendable, Equatable, Encodable {
    public var id: Int64
    public var itemID: Int64
    public var drugCode: String
    public var supplierCode: String
    public var unitPrice: Money
    public var grade: String
    public var origin: String
    public var qualityScore: Decimal
    public var qualityReference: String
    /// Why the lead withdrew it while bidding; nil for a live bid.
    public var withdrawalReason: String? = nil

    public init(
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

public struct HerbRankingRow: Sendable, Equatable, Encodable {
    public var itemID: Int64
    public var drugCode: String
    public var bidID: Int64
    public var supplierCode: String
    public var unitPrice: Money
    public var qualityScore: Decimal
    public var rank: Int
    public var qualified: Bool
    public var winner: Bool
    public var share: Decimal
    /// The winner's part of the item's committed volume.
    public var volumeKg: Decimal
    public var reason: String

    public init(
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
