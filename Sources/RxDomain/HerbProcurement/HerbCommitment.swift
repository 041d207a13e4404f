import Foundation

/// A member's commitment of kilograms to an item of a round (带量承诺).
package struct HerbCommitment: Sendable, Equatable, Encodable {
    package var id: Int64
    package var roundID: Int64
    package var itemID: Int64
    package var drugCode: String
    package var institutionCode: String
    package var quantityKg: Decimal
    package var priorUsageKg: Decimal?
    package var proposedKg: Decimal?
    package var status: HerbCommitmentStatus
    package var reason: String?

    package init(
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

package struct HerbCommitmentDraft: Sendable {
    package var drugCode: String
    package var institutionCode: String
    /// nil: the proposal from prior-year usage.
    package var quantityKg: Decimal?
    package var reason: String?
    package init(drugCode: String, institutionCode: String, quantityKg: Decimal?, reason: String?) {
        self.drugCode = drugCode
        self.institutionCode = institutionCode
        self.quantityKg = quantityKg
        self.reason = reason
    }
}
