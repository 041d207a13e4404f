import Foundation

/// A member's commitment of kilograms to an item of a round (带量承诺).
public struct HerbCommitment: Sendable, Equatable, Encodable {
    public var id: Int64
    public var roundID: Int64
    public var itemID: Int64
    public var drugCode: String
    public var institutionCode: String
    public var quantityKg: Decimal
    public var priorUsageKg: Decimal?
    public var proposedKg: Decimal?
    public var status: HerbCommitmentStatus
    public var reason: String?

    public init(
        id: Int64, roundID: Int64, itemID: Int64, drugCode: String, institutionCode: String, quantityKg: Decimal,
        priorUsageKg: Decimal?, proposedKg: Decimal?, status: HerbCommitmentStatus, reason: String?
    ) {
        self.id = id
        self.roundID = roundID
        self.itemID = itemID
        self.drugCode = drugCode
        self.institutionCode = institutionCode
        self.quantityKg = quantityKg
        self.priorUsageKg = priorUsageKg
        self.proposedKg = proposedKg
        self.status = status
        self.reason = reason
    }
}

public struct HerbCommitmentDraft: Sendable {
    public var drugCode: String
    public var institutionCode: String
    /// nil: the proposal from prior-year usage.
    public var quantityKg: Decimal?
    public var reason: String?
    public init(drugCode: String, institutionCode: String, quantityKg: Decimal?, reason: String?) {
        self.drugCode = drugCode
        self.institutionCode = institutionCode
        self.quantityKg = quantityKg
        self.reason = reason
    }
}
