import Foundation

/// What a round accepts from its members' commitments (带量承诺) and its lab's inspections (中药饮片鉴别检测): facts in
/// (what the stores read), a refusal out, in the order the stores ask.
extension HerbRoundRules {
    /// The committing member, as found in the round's consortium (nil: none by that code).
    package static func checkMember(_ id: Int64?, code: String) throws(DomainError) -> Int64 {
        guard let id else { throw .invalid("institutionCode", "no institution \(code) in the consortium") }
        return id
    }

    /// Commitments are taken while they are open, to an item of the round.
    package static func commitmentItem(of round: HerbRound, drugCode: String) throws(DomainError) -> HerbRoundItem {
        guard round.status == .commitmentsOpen else {
            throw .conflict("commitments are taken while open; round \(round.id) is \(round.status.rawValue)")
        }
        return try item(of: round, drugCode: drugCode)
    }

    /// The kilograms committed: the draft's, else a positive proposal from prior-year usage (`proposed`).
    package static func commitmentQuantity(
        _ draft: HerbCommitmentDraft, proposed: Decimal?, priorYear: Int, drugCode: String
    ) throws(DomainError) -> Decimal {
        guard let quantity = draft.quantityKg ?? proposed.flatMap({ $0 > 0 ? $0 : nil }) else {
            throw .invalid(
                "quantityKg",
                "\(draft.institutionCode) has no \(priorYear) usage of \(drugCode) to propose from; give the quantity")
        }
        return quantity
    }

    /// The lead decides a pending commitment, while commitments are open.
    package static func checkDecidable(
        _ commitment: HerbCommitment, roundID: Int64, roundStatus: HerbRoundStatus
    ) throws(DomainError) {
        guard roundStatus == .commitmentsOpen else {
            throw .conflict("commitments are locked; round \(roundID) is \(roundStatus.rawValue)")
        }
        guard commitment.status == .pending else {
            throw .conflict("commitment \(commitment.id) is \(commitment.status.rawValue); only a pending one is decided")
        }
    }

    /// Lots are inspected once the round is awarded (awarded or executing), for an item of the round.
    package static func inspectionItem(of round: HerbRound, drugCode: String) throws(DomainError) -> HerbRoundItem {
        guard round.status == .awarded || round.status == .executing else {
            throw .conflict("lots are inspected once the round is awarded; round \(round.id) is \(round.status.rawValue)")
        }
        return try item(of: round, drugCode: drugCode)
    }

    /// A lot's supplier as found (nil: no supplier by that code) and whether it won the item.
    package struct LotSupplier: Sendable, Equatable {
        package var id: Int64
        package var awarded: Bool
        package init(id: Int64, awarded: Bool) {
            self.id = id
            self.awarded = awarded
        }
    }

    /// An inspected lot comes from a supplier awarded the item.
    @discardableResult
    package static func checkLotSupplier(
        _ supplier: LotSupplier?, code: String, drugCode: String, roundID: Int64
    ) throws(DomainError) -> LotSupplier {
        guard let supplier, supplier.awarded else {
            throw .invalid("supplierCode", "\(code) is not an awarded supplier of \(drugCode) in round \(roundID)")
        }
        return supplier
    }

    /// An item is inspected against its quality limits on record (nil: none for the piece).
    package static func qualityLimits(
        _ limits: [HerbQualityMeasure: Decimal]?, drugCode: String
    ) throws(DomainError) -> [HerbQualityMeasure: Decimal] {
        guard let limits else { throw .invalid("drugCode", "\(drugCode) has no quality limits on record (herb_quality_limits)") }
        return limits
    }

    /// The lead suspends a supplier, with a reason, until the round closes.
    package static func checkSuspension(_ round: HerbRound, reason: String) throws(DomainError) {
        guard round.status != .closed else { throw .conflict("round \(round.id) is closed") }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw .invalid("reason", "is required") }
    }
}
