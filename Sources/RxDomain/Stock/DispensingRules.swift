import Foundation

/// Whom a dispensing (发药) goes to: a patient, by the institution's pseudonymous reference, or a ward.
package enum DispensingRecipient: Sendable, Equatable, Codable {
    case patient(String)
    case ward(String)

    package var patientRef: String? { if case .patient(let ref) = self { ref } else { nil } }
    package var ward: String? { if case .ward(let ward) = self { ward } else { nil } }
}

/// What a destruction or a return to the supplier is.
package enum StockDisposalKind: String, Sendable, Codable, CaseIterable {
    /// 销毁 (105): only stock that may not be issued (expired or blocked).
    case destruction
    /// 退货出库 (109)
    case supplierReturn = "supplier_return"

    package var reason: StockMovementReason { self == .destruction ? .destruction : .returnToSupplier }
}

/// The rules of dispensing, disposals, releases and the stock movements documents post (pure: the stores find the
/// facts, these decide).
package enum DispensingRules {
    /// A patient reference is pseudonymous: 1–64 letters, digits, `_` or `-`, and never shaped like an
    /// 18-character resident ID card number (the same as the schema's CHECK).
    package static func isPseudonymous(_ ref: String) -> Bool {
        guard (1...64).contains(ref.count),
            ref.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
        else { return false }
        let chars = Array(ref)
        let idCard = chars.count == 18 && chars.prefix(17).allSatisfy(\.isNumber) && "0123456789Xx".contains(chars[17])
        return !idCard
    }

    /// To a patient or to a ward, exactly one: 422 naming `patientRef` (or `ward`) otherwise.
    package static func recipient(patientRef: String?, ward: String?) throws(DomainError) -> DispensingRecipient {
        let ward = ward?.trimmingCharacters(in: .whitespaces)
        switch (patientRef, ward) {
        case (nil, nil):
            throw .invalid("patientRef", "a dispensing goes to a patient (patientRef) or to a ward (ward)")
        case (.some, .some):
            throw .invalid("ward", "a dispensing goes to a patient or to a ward, not both")
        case (.some(let ref), nil):
            guard isPseudonymous(ref) else {
                throw .invalid(
                    "patientRef", "must be a pseudonymous reference (1-64 letters, digits, _ or -), never a name or an ID number")
            }
            return .patient(ref)
        case (nil, .some(let ward)):
            guard (1...100).contains(ward.count) else { throw .invalid("ward", "must be 1-100 characters") }
            return .ward(ward)
        }
    }

    /// A retry under the same key with the same body answers the first dispensing; another body under the key is
    /// 422 naming `Idempotency-Key`. `stored` nil: a concurrent request holds the key (409, retry).
    package static func replayedDispensingID(_ stored: OrderRules.StoredKey?, requestHash: Data) throws(DomainError) -> Int64 {
        guard let stored else { throw .conflict("the idempotency key is in use; retry") }
        guard stored.requestHash == requestHash, let id = stored.orderID else {
            throw .invalid("Idempotency-Key", "was used for a different dispensing; use a new key")
        }
        return id
    }

    /// A destruction (105) or a return to the supplier (109) of `quantity` of a lot held `held` at the place: the
    /// document reference is named (422 `documentReference`), the quantity positive and at most what is held (422
    /// `quantity`), and only stock that may not be issued (expired or blocked) is destroyed (422 `lotNumber`).
    package static func checkDisposal(
        kind: StockDisposalKind, documentReference: String, quantity: Quantity, held: Quantity?, state: LotIssueability,
        lot: String
    ) throws(DomainError) {
        var errors: [FieldError] = []
        if documentReference.trimmingCharacters(in: .whitespaces).isEmpty {
            errors.append(FieldError(field: "documentReference", reason: "names the destruction record or the return note"))
        }
        if quantity <= .zero {
            errors.append(FieldError(field: "quantity", reason: "must be positive"))
        } else if let held, quantity > held {
            errors.append(FieldError(field: "quantity", reason: "\(quantity) is more than the \(held) held of lot \(lot)"))
        }
        if held == nil {
            errors.append(FieldError(field: "lotNumber", reason: "no stock of lot \(lot) here"))
        } else if kind == .destruction && !state.isQuarantined {
            errors.append(
                FieldError(
                    field: "lotNumber", reason: "lot \(lot) may still be issued; only expired or blocked stock is destroyed"))
        }
        try TransferRules.refuse(errors, "the disposal is refused")
    }

    /// Releasing a block: only a standing one (409), with a reason (422 naming `reason`).
    package static func checkRelease(blockID: Int64, released: Bool, reason: String) throws(DomainError) {
        guard !released else { throw .conflict("lot block \(blockID) is already released") }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw .invalid("reason", "must not be blank") }
    }

    /// A preparation's shipment leaves the producer's stock of the lot (102). What the producer does not hold of the
    /// lot was made and never entered the ledger (the service records no production): it enters as other-in (106)
    /// first, so the shipment never fails for stock the producer made. Returns what enters and what leaves.
    package static func preparationShipment(held: Quantity, shipped: Quantity) -> (produced: Quantity, shipped: Quantity) {
        let produced = held >= shipped ? Quantity.zero : shipped - max(held, .zero)
        return (produced, shipped)
    }

    /// Why a drug needs no traceability code, from its category, its dosage form (配方颗粒; 大容量注射液 and 输液
    /// for bulk injections) and whether the issue splits a package (拆零).
    package static func traceabilityExemption(category: DrugCategory, dosageForm: String, splitPackage: Bool)
        -> TraceabilityExemption?
    {
        TraceabilityRules.exemption(
            category: category, formulaGranule: dosageForm.contains("配方颗粒"), splitPackage: splitPackage,
            bulkInjection: dosageForm.contains("大容量注射") || dosageForm.contains("输液"))
    }
}

/// The document a stock movement comes from (`stock_movements.document_type`).
package enum StockDocumentType: String, Sendable, Codable, CaseIterable {
    case opening
    case delivery
    case stockTransfer = "stock_transfer"
    case preparationTransfer = "preparation_transfer"
    case count
    case dispensing
    case patientReturn = "patient_return"
    case destruction
    case supplierReturn = "supplier_return"
    case donation
    case extendedPrescription = "extended_prescription"
    case other
}
