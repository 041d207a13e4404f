import Foundation

/// A member's purchase order, from draft to closed (or cancelled before consolidation).
public enum OrderStatus: String, Sendable, Codable, CaseIterable {
    case draft, submitted, consolidated
    case partlyReceived = "partly_received"
    case received, closed, cancelled
}

public enum OrderAction: String, Sendable, CaseIterable {
    case submit, cancel, close
}

/// The rules of unified procurement (五统一, 两票制), free of I/O.
public enum ProcurementRules {
    /// The state an action moves an order to; 409 when the order's state does not allow it.
    public static func next(_ status: OrderStatus, _ action: OrderAction) throws(DomainError) -> OrderStatus {
        switch (status, action) {
        case (.draft, .submit): return .submitted
        case (.draft, .cancel), (.submitted, .cancel): return .cancelled
        case (.received, .close), (.partlyReceived, .close): return .closed
        default:
            throw .conflict("an order that is \(status.rawValue) cannot be \(action == .submit ? "submitted" : action == .cancel ? "cancelled" : "closed")")
        }
    }

    /// After a delivery: received when every line has all it ordered, else partly received.
    public static func statusAfterDelivery(lines: [(ordered: Decimal, received: Decimal)]) -> OrderStatus {
        lines.allSatisfy { $0.received >= $0.ordered } ? .received : .partlyReceived
    }

    /// Why a delivery would be refused: more than ordered, a lot already expired, or one expiring sooner than the
    /// consortium's minimum remaining shelf life. An explicit exception records it anyway.
    public static func deliveryProblems(
        ordered: Decimal, alreadyReceived: Decimal, quantity: Decimal, expiry: BusinessDate, receivedOn: BusinessDate,
        minimumShelfLifeMonths: Int
    ) -> [FieldError] {
        var problems: [FieldError] = []
        if alreadyReceived + quantity > ordered {
            problems.append(FieldError(
                field: "quantity", reason: "\(alreadyReceived + quantity) would exceed the \(ordered) ordered"))
        }
        if expiry <= receivedOn {
            problems.append(FieldError(field: "expiryDate", reason: "the lot expired on \(expiry)"))
        } else if expiry < receivedOn.adding(months: minimumShelfLifeMonths) {
            problems.append(FieldError(
                field: "expiryDate",
                reason: "the lot expires on \(expiry), sooner than the minimum remaining shelf life of \(minimumShelfLifeMonths) months"))
        }
        return problems
    }

    /// 两票制: the first invoice must come from the manufacturer (or what counts as it: its wholly-owned sales
    /// company, an importer's national general agent). An invoice from another distributor adds a third.
    public static func twoInvoiceRuleError(upstreamIsManufacturer: Bool, upstreamCountsAsManufacturer: Bool, upstreamCode: String) -> FieldError? {
        guard !upstreamIsManufacturer && !upstreamCountsAsManufacturer else { return nil }
        return FieldError(
            field: "upstreamSupplierCode",
            reason: "\(upstreamCode) is a distributor: a chain with a second distributor breaks the two-invoice rule (两票制)")
    }

    public enum Discrepancy: String, Sendable, Codable, CaseIterable {
        case priceDiffers = "price_differs"
        case quantityDiffers = "quantity_differs"
        case amountMismatch = "amount_mismatch"
    }

    /// What an invoice line disagrees with: the unified price on the order date, the quantity received, its
    /// own quantity × price (to the fen).
    public static func discrepancies(
        quantity: Decimal, unitPrice: Money, amount: Money, unifiedPrice: Money, received: Decimal
    ) -> [Discrepancy] {
        var found: [Discrepancy] = []
        if unitPrice != unifiedPrice { found.append(.priceDiffers) }
        if quantity != received { found.append(.quantityDiffers) }
        if (unitPrice * quantity).rounded(2) != amount.rounded(2) { found.append(.amountMismatch) }
        return found
    }

    public enum PayableStatus: String, Sendable, Codable, CaseIterable {
        case due, overdue, paid
    }

    /// Payment is due a set number of days after the accepted delivery (setting `payment_term_days`).
    public static func payableStatus(dueOn: BusinessDate, paid: Bool, today: BusinessDate) -> PayableStatus {
        paid ? .paid : (today > dueOn ? .overdue : .due)
    }
}
