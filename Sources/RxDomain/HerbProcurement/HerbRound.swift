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
