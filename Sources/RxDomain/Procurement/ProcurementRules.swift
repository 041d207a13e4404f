import Foundation

/// A member's purchase order, from draft to closed (or cancelled before consolidation).
package enum OrderStatus: String, Sendable, Codable, CaseIterable {
    case draft, submitted, consolidated
    case partlyReceived = "partly_received"
    case received, closed, cancelled
}

package enum OrderAction: String, Sendable, CaseIterable {
    case submit, cancel, close
}

/// The rules of unified procurement (五统一, 两票制), free of I/O.
package enum ProcurementRules {
    /// The state an action moves an order to; 409 when the order's state does not allow it.
    package static func next(_ status: OrderStatus, _ action: OrderAction) throws(DomainError) -> OrderStatus {
        switch (status, action) {
        case (.draft, .submit): return .submitted
        case (.draft, .cancel), (.submitted, .cancel): return .cancelled
        case (.received, .close), (.partlyReceived, .close): return .closed
        default:
            throw .conflict(
                "an order that is \(status.rawValue) cannot be \(action == .submit ? "submitted" : action == .cancel ? "cancelled" : "closed")"
            )
        }
    }

    /// After a delivery: received when every line has all it ordered, else partly received.
    package static func statusAfterDelivery(lines: [(ordered: Decimal, received: Decimal)]) -> OrderStatus {
        lines.allSatisfy { $0.received >= $0.ordered } ? .received : .partlyReceived
    }

    /// Why a delivery would be refused: more than ordered, a lot already expired, or one expiring sooner than the
    /// consortium's minimum remaining shelf life. An explicit exception records it anyway.
    package static func deliveryProblems(
        ordered: Decimal, alreadyReceived: Decimal, quantity: Decimal, expiry: BusinessDate, receivedOn: BusinessDate,
        minimumShelfLifeMonths: Int
    ) -> [FieldError] {
        var problems: [FieldError] = []
        if alreadyReceived + quantity > ordered {
            problems.append(
                FieldError(
                    field: "quantity", reason: "\(alreadyReceived + quantity) would exceed the \(ordered) ordered"))
        }
        if expiry <= receivedOn {
            problems.append(FieldError(field: "expiryDate", reason: "the lot expired on \(expiry)"))
        } else if expiry < receivedOn.adding(months: minimumShelfLifeMonths) {
            problems.append(
                FieldError(
                    field: "expiryDate",
                    reason:
                        "the lot expires on \(expiry), sooner than the minimum remaining shelf life of \(minimumShelfLifeMonths) months"
                ))
        }
        return problems
    }

    /// 两票制: the first invoice must come from the manufacturer (or what counts as it: its wholly-owned sales
    /// company, an importer's national general agent). An invoice from another distributor adds a third.
    package static func twoInvoiceRuleError(
        upstreamIsManufacturer: Bool, upstreamCountsAsManufacturer: Bool, upstreamCode: String
    )
        -> FieldError?
    {
        guard !upstreamIsManufacturer && !upstreamCountsAsManufacturer else { return nil }
        return FieldError(
            field: "upstreamSupplierCode",
            reason: "\(upstreamCode) is a distributor: a chain with a second distributor breaks the two-invoice rule (两票制)")
    }

    package enum PayableStatus: String, Sendable, Codable, CaseIterable {
        case due, overdue, paid
    }

    /// Payment is due a set number of days after the accepted delivery (setting `payment_term_days`).
    package static func payableStatus(dueOn: BusinessDate, paid: Bool, today: BusinessDate) -> PayableStatus {
        paid ? .paid : (today > dueOn ? .overdue : .due)
    }

    /// Central payment in parts (分次支付): a payment may not exceed what remains unpaid of the invoice.
    package static func paymentProblem(invoiceTotal: Money, paidSoFar: Money, amount: Money) -> FieldError? {
        let remaining = (invoiceTotal - paidSoFar).rounded(2)
        guard amount.rounded(2).amount > remaining.amount else { return nil }
        return FieldError(
            field: "amount",
            reason: remaining.amount > 0
                ? "\(amount.formatted(places: 2)) exceeds the \(remaining.formatted(places: 2)) that remains unpaid of \(invoiceTotal.formatted(places: 2))"
                : "the invoice's \(invoiceTotal.formatted(places: 2)) is already paid in full")
    }
}

/// What finance made of a discrepancy (an invoice's, or a line of a reconciled file): open until reviewed.
package enum DiscrepancyReview: String, Sendable, Codable, CaseIterable {
    /// Settled: a credit note, a corrected receipt, an explanation accepted. A resolved invoice may be paid.
    case resolved
    /// Contested with the distributor; still not payable.
    case disputed

    /// The review a finance officer may record now: an open or disputed discrepancy may be resolved or disputed
    /// (again, with a new note); a resolved one is settled (409).
    package static func next(
        from current: DiscrepancyReview?, to review: DiscrepancyReview, note: String,
        hasDiscrepancies: Bool = true
    ) throws(DomainError) -> DiscrepancyReview {
        guard hasDiscrepancies else { throw .conflict("there is no discrepancy to review") }
        _ = try CorrectionReason.require(note, field: "note")
        if current == .resolved { throw .conflict("the discrepancy is already resolved") }
        return review
    }
}
