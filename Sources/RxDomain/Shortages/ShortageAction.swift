import Foundation

/// A pharmacist's sign-off of a substitute (替代): who signed and whether that token is a pharmacist's.
package struct PharmacistSignOff: Sendable, Hashable, Codable {
    package var tokenID: Int64
    package var isPharmacist: Bool

    package init(tokenID: Int64, isPharmacist: Bool) {
        self.tokenID = tokenID
        self.isPharmacist = isPharmacist
    }
}

/// An action on a shortage as requested, with who, when and why, and what each kind needs: the accepted proposals
/// of a redistribution, the substitute and its sign-off, the emergency purchase's supplier and quantity, the
/// escalation's expected recovery.
package struct ShortageActionRequest: Sendable, Equatable {
    package var kind: ShortageActionKind
    package var actorTokenID: Int64
    package var on: BusinessDate
    package var reason: String
    package var proposalIDs: [Int64]
    package var substituteDrugCode: String?
    package var signOff: PharmacistSignOff?
    package var supplierCode: String?
    package var quantity: Quantity?
    package var expectedRecovery: BusinessDate?

    package init(
        kind: ShortageActionKind, actorTokenID: Int64, on: BusinessDate, reason: String, proposalIDs: [Int64] = [],
        substituteDrugCode: String? = nil, signOff: PharmacistSignOff? = nil, supplierCode: String? = nil,
        quantity: Quantity? = nil, expectedRecovery: BusinessDate? = nil
    ) {
        self.kind = kind
        self.actorTokenID = actorTokenID
        self.on = on
        self.reason = reason
        self.proposalIDs = proposalIDs
        self.substituteDrugCode = substituteDrugCode
        self.signOff = signOff
        self.supplierCode = supplierCode
        self.quantity = quantity
        self.expectedRecovery = expectedRecovery
    }
}

extension ShortageRules {
    /// An action on `record`: the record must be open (409 naming the state); every action says why; a
    /// redistribution accepts at least one proposal; a substitute is one of the ranked alternatives
    /// (`substituteCandidates`, from `SubstituteRanking`) signed off by a pharmacist; an emergency purchase names
    /// its supplier and a positive quantity; an escalation happens once (409) and its expected recovery is not in
    /// the past. Every broken rule at once (422 naming each field). Returns the record after it: an escalation
    /// raises the level to escalated.
    package static func act(
        _ request: ShortageActionRequest, on record: ShortageRecord, substituteCandidates: [String] = []
    ) throws(DomainError) -> ShortageRecord {
        try checkOpen(record, doing: "acted on")
        if request.kind == .escalate && record.level == .escalated {
            throw .conflict("the shortage of \(record.drugCode) is already escalated")
        }
        var errors: [FieldError] = []
        if request.reason.trimmingCharacters(in: .whitespaces).isEmpty {
            errors.append(FieldError(field: "reason", reason: "an action says why"))
        }
        switch request.kind {
        case .redistribute:
            if request.proposalIDs.isEmpty {
                errors.append(FieldError(field: "proposalIds", reason: "a redistribution accepts at least one proposal"))
            }
        case .substitute:
            if let code = request.substituteDrugCode, !code.isEmpty {
                if code == record.drugCode {
                    errors.append(FieldError(field: "substituteDrugCode", reason: "a drug does not substitute for itself"))
                } else if !substituteCandidates.contains(code) {
                    errors.append(
                        FieldError(
                            field: "substituteDrugCode",
                            reason: "\(code) is not an alternative in the catalogue with stock on hand"))
                }
            } else {
                errors.append(FieldError(field: "substituteDrugCode", reason: "a substitution names the substitute"))
            }
            if let signOff = request.signOff {
                if !signOff.isPharmacist {
                    errors.append(FieldError(field: "signOff", reason: "a substitute is signed off by a pharmacist"))
                }
            } else {
                errors.append(FieldError(field: "signOff", reason: "a substitute is signed off by a pharmacist"))
            }
        case .emergencyPurchase:
            if (request.supplierCode ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                errors.append(FieldError(field: "supplierCode", reason: "an emergency purchase names its supplier"))
            }
            if (request.quantity ?? .zero) <= .zero {
                errors.append(FieldError(field: "quantity", reason: "must be positive"))
            }
        case .escalate:
            if let expected = request.expectedRecovery, expected < request.on {
                errors.append(FieldError(field: "expectedRecovery", reason: "must not be in the past"))
            }
        }
        try refuse(errors, "the action is refused")
        var after = record
        if request.kind == .escalate { after.level = .escalated }
        return after
    }
}
