import Foundation

/// Where a transfer between members (调拨) stands: a draft, dispatched (out of the sender, in transit, available to
/// neither), received (into the receiver, discrepancies recorded), or cancelled before dispatch.
package enum StockTransferStatus: String, Sendable, Codable, CaseIterable {
    case draft
    /// 在途
    case dispatched
    case received
    case cancelled
}

package enum StockTransferAction: String, Sendable, Codable, CaseIterable {
    case dispatch, receive, cancel
}

/// What went wrong with a line on receipt: less arrived than was dispatched, or some arrived damaged.
package enum TransferDiscrepancyKind: String, Sendable, Codable, CaseIterable {
    /// 短少
    case shortfall
    /// 破损
    case damage
}

/// The rules of transfers of stock between members (调拨): one document, out of the sender at dispatch (102), in
/// transit, into the receiver at receipt (101). Pure: the stores gather the facts.
package enum StockTransferRules {
    /// The state an action moves a transfer to; 409 naming the state when it does not allow it. Once dispatched a
    /// transfer is not cancelled: the stock is on its way and comes back only by another transfer.
    package static func next(_ status: StockTransferStatus, _ action: StockTransferAction) throws(DomainError)
        -> StockTransferStatus
    {
        switch (status, action) {
        case (.draft, .dispatch): return .dispatched
        case (.dispatched, .receive): return .received
        case (.draft, .cancel): return .cancelled
        default:
            throw .conflict("a transfer that is \(status.rawValue) cannot be \(action.pastTense)")
        }
    }

    /// A line of a transfer as requested, with the fact the store found: whether the drug is in the receiver's
    /// catalogue in effect.
    package struct LineRequest: Sendable, Equatable {
        package var drugCode: String
        package var quantity: Quantity
        package var inReceiverCatalogue: Bool

        package init(drugCode: String, quantity: Quantity, inReceiverCatalogue: Bool) {
            self.drugCode = drugCode
            self.quantity = quantity
            self.inReceiverCatalogue = inReceiverCatalogue
        }
    }

    /// A transfer goes from one member to another, with at least one line of a positive quantity of a drug in the
    /// receiver's catalogue; every broken rule at once (422 naming each field).
    package static func checkDraft(
        senderInstitutionID: Int64, receiverInstitutionID: Int64, receiverCode: String, lines: [LineRequest]
    ) throws(DomainError) {
        var errors: [FieldError] = []
        if senderInstitutionID == receiverInstitutionID {
            errors.append(FieldError(field: "receiverInstitutionCode", reason: "a member does not transfer to itself"))
        }
        if lines.isEmpty { errors.append(FieldError(field: "lines", reason: "a transfer has at least one line")) }
        for (i, line) in lines.enumerated() {
            if line.quantity <= .zero {
                errors.append(FieldError(field: "lines[\(i)].quantity", reason: "must be positive"))
            }
            if !line.inReceiverCatalogue {
                errors.append(
                    FieldError(
                        field: "lines[\(i)].drugCode", reason: "\(line.drugCode) is not in \(receiverCode)'s catalogue in effect")
                )
            }
        }
        try TransferRules.refuse(errors, "the transfer is refused")
    }

    /// What the receiver reports for a line: how much arrived in good order, how much damaged, and why any of the
    /// dispatched quantity is missing or damaged.
    package struct LineReceipt: Sendable, Equatable {
        package var dispatched: Quantity
        package var received: Quantity
        package var damaged: Quantity
        package var reason: String?

        package init(dispatched: Quantity, received: Quantity, damaged: Quantity = .zero, reason: String? = nil) {
            self.dispatched = dispatched
            self.received = received
            self.damaged = damaged
            self.reason = reason
        }
    }

    /// A discrepancy found on receipt: its kind, quantity and reason (not a silent adjustment).
    package struct Discrepancy: Sendable, Equatable {
        package var line: Int
        package var kind: TransferDiscrepancyKind
        package var quantity: Quantity
        package var reason: String

        package init(line: Int, kind: TransferDiscrepancyKind, quantity: Quantity, reason: String) {
            self.line = line
            self.kind = kind
            self.quantity = quantity
            self.reason = reason
        }
    }

    /// The receipt's discrepancies: received and damaged are not negative and together not more than dispatched;
    /// the rest is a shortfall. Any shortfall or damage needs a reason (422 naming `lines[i].reason`). The receiver's
    /// stock takes in only what was `received` in good order (101).
    package static func discrepancies(_ lines: [LineReceipt]) throws(DomainError) -> [Discrepancy] {
        var errors: [FieldError] = []
        var found: [Discrepancy] = []
        for (i, line) in lines.enumerated() {
            if line.received < .zero {
                errors.append(FieldError(field: "lines[\(i)].receivedQuantity", reason: "must not be negative"))
                continue
            }
            if line.damaged < .zero {
                errors.append(FieldError(field: "lines[\(i)].damagedQuantity", reason: "must not be negative"))
                continue
            }
            let accounted = line.received + line.damaged
            if line.dispatched < accounted {
                errors.append(
                    FieldError(
                        field: "lines[\(i)].receivedQuantity",
                        reason: "\(accounted) received and damaged is more than the \(line.dispatched) dispatched"))
                continue
            }
            let shortfall = line.dispatched - accounted
            let reason = (line.reason ?? "").trimmingCharacters(in: .whitespaces)
            if (shortfall > .zero || line.damaged > .zero) && reason.isEmpty {
                errors.append(FieldError(field: "lines[\(i)].reason", reason: "a shortfall or damage on receipt needs a reason"))
                continue
            }
            if shortfall > .zero { found.append(Discrepancy(line: i, kind: .shortfall, quantity: shortfall, reason: reason)) }
            if line.damaged > .zero { found.append(Discrepancy(line: i, kind: .damage, quantity: line.damaged, reason: reason)) }
        }
        try TransferRules.refuse(errors, "the receipt is refused")
        return found
    }

    /// Dispatched but not yet received: in transit, visible to both, available to neither.
    package static func inTransit(status: StockTransferStatus, dispatched: Quantity) -> Quantity {
        status == .dispatched ? dispatched : .zero
    }
}

extension StockTransferAction {
    var pastTense: String {
        switch self {
        case .dispatch: return "dispatched"
        case .receive: return "received"
        case .cancel: return "cancelled"
        }
    }
}
