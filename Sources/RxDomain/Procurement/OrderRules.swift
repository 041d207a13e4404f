import Foundation

package struct OrderLineRequest: Sendable, Equatable, Codable {
    package var drugCode: String
    /// In the unit the unified price is given in (a package, or the drug's own unit).
    package var quantity: Decimal
    package init(drugCode: String, quantity: Decimal) {
        self.drugCode = drugCode
        self.quantity = quantity
    }
}

/// What a member's purchase order (采购订单) accepts: its lines, a retry under its idempotency key, the drugs it may
/// order, who moves it and the deliveries it receives. Facts in (what the stores read), a refusal out; the state
/// moves and the delivery's problems are `ProcurementRules`.
package enum OrderRules {
    /// The refusal of a member's orders to a principal without `Permission.readOrders` on them.
    package static let listingRefusal = "a member sees only its own orders"

    /// An order has at least one line, each of a positive quantity.
    package static func checkLines(_ lines: [OrderLineRequest]) throws(DomainError) {
        guard !lines.isEmpty else { throw .invalid("lines", "an order has at least one line") }
        for (i, line) in lines.enumerated() where line.quantity <= 0 {
            throw .invalid("lines[\(i)].quantity", "must be positive")
        }
    }

    /// What an idempotency key already stands for: the hash of the first request's body and the order it raised.
    package struct StoredKey: Sendable, Equatable {
        package var requestHash: Data
        package var orderID: Int64?
        package init(requestHash: Data, orderID: Int64?) {
            self.requestHash = requestHash
            self.orderID = orderID
        }
    }

    /// A retry under the same key with the same body replays the first order; another body under the key is 422.
    /// `stored` nil: a concurrent request holds the key and its row is not visible yet (409, retry).
    package static func replayedOrderID(_ stored: StoredKey?, requestHash: Data) throws(DomainError) -> Int64 {
        guard let stored else { throw .conflict("the idempotency key is in use; retry") }
        guard stored.requestHash == requestHash, let orderID = stored.orderID else {
            throw .invalid("Idempotency-Key", "was used for a different order; use a new key")
        }
        return orderID
    }

    /// A line to order as found: in the member's catalogue in effect or not, and its unified price in effect (nil:
    /// none, or not looked up for a drug outside the catalogue).
    package struct OrderableLine<Price: Sendable>: Sendable {
        package var line: OrderLineRequest
        package var inCatalogue: Bool
        package var price: Price?
        package init(line: OrderLineRequest, inCatalogue: Bool, price: Price?) {
            self.line = line
            self.inCatalogue = inCatalogue
            self.price = price
        }
    }

    /// Every line's drug is in the member's catalogue in effect and has a unified price in effect today; otherwise
    /// 422 names each offending line. Returns the lines with their prices.
    package static func pricedLines<Price: Sendable>(
        _ lines: [OrderableLine<Price>], institutionCode: String, today: BusinessDate
    ) throws(DomainError) -> [(line: OrderLineRequest, price: Price)] {
        var problems: [FieldError] = []
        var priced: [(line: OrderLineRequest, price: Price)] = []
        for (i, found) in lines.enumerated() {
            guard found.inCatalogue else {
                problems.append(
                    FieldError(
                        field: "lines[\(i)].drugCode",
                        reason: "\(found.line.drugCode) is not in \(institutionCode)'s catalogue in effect"))
                continue
            }
            guard let price = found.price else {
                problems.append(
                    FieldError(
                        field: "lines[\(i)].drugCode", reason: "\(found.line.drugCode) has no unified price in effect on \(today)"
                    ))
                continue
            }
            priced.append((found.line, price))
        }
        guard problems.isEmpty else {
            throw .unprocessable("\(problems.count) line(s) cannot be ordered", problems)
        }
        return priced
    }

    /// A line added to a draft: its drug in the member's catalogue in effect on the order date, with a unified
    /// price in effect on it (422 naming `drugCode` otherwise). Returns the price.
    package static func addedLinePrice<Price: Sendable>(
        _ price: Price?, drugCode: String, inCatalogue: Bool, institutionCode: String, orderDate: BusinessDate
    ) throws(DomainError) -> Price {
        guard inCatalogue else {
            throw .invalid("drugCode", "\(drugCode) is not in \(institutionCode)'s catalogue in effect on \(orderDate)")
        }
        guard let price else { throw .invalid("drugCode", "\(drugCode) has no unified price in effect on \(orderDate)") }
        return price
    }

    /// The refusal of an order's move to a principal without `Permission.moveOrder` on it.
    package static let moverRefusal =
        "only the member's procurement officer or pharmacist, or the supply centre, moves an order"

    /// A delivery brings a positive quantity.
    package static func checkDeliveryQuantity(_ quantity: Decimal) throws(DomainError) {
        guard quantity > 0 else { throw .invalid("quantity", "must be positive") }
    }

    /// Whether an order in `status` receives deliveries. An order goes through the usual channel (统一配送): it is
    /// delivered once consolidated, until it is received. An emergency purchase (应急采购, `emergency`: the order is
    /// flagged with a shortage and its supplier) skips that channel: it is delivered by its own supplier as soon as
    /// it is submitted, never waiting for a consolidation that leaves it out (`SupplyCentreRules.consolidable`);
    /// one consolidated before that rule still receives.
    package static func receivesDeliveries(status: OrderStatus, emergency: Bool) -> Bool {
        switch status {
        case .consolidated, .partlyReceived: return true
        case .submitted: return emergency
        case .draft, .received, .closed, .cancelled: return false
        }
    }

    /// Deliveries arrive while the order receives them (`receivesDeliveries`: once consolidated, or once submitted
    /// for an emergency purchase, until it is received), against one of its lines. Returns the index of the line
    /// delivered among `lineNos`.
    package static func deliveryLineIndex(
        orderID: Int64, status: OrderStatus, emergency: Bool, lineNos: [Int], lineNo: Int
    ) throws(DomainError) -> Int {
        guard receivesDeliveries(status: status, emergency: emergency) else {
            throw .conflict("an order that is \(status.rawValue) receives no deliveries")
        }
        guard let index = lineNos.firstIndex(of: lineNo) else {
            throw .invalid("lineNo", "order \(orderID) has no line \(lineNo)")
        }
        return index
    }

    /// A lot the lead's lab rejected (中药饮片联合带量采购) is blocked at every member. `failures`: the rejection's
    /// failures, nil when the lot was not rejected.
    package static func checkLotNotRejected(failures: [String]?, lotNumber: String, drugCode: String) throws(DomainError) {
        guard let failures else { return }
        throw .invalid(
            "lotNumber",
            "lot \(lotNumber) of \(drugCode) was rejected by the lead's lab and is blocked: \(failures.joined(separator: "; "))")
    }

    /// A delivery with problems (`ProcurementRules.deliveryProblems`) is refused unless an exception reason accepts
    /// it. Returns the exception to record: nil when there was nothing to except.
    package static func acceptedException(problems: [FieldError], exceptionReason: String?) throws(DomainError) -> String? {
        let exception = exceptionReason.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
        if !problems.isEmpty && exception == nil {
            throw .unprocessable(
                "the delivery is refused: " + problems.map(\.reason).joined(separator: "; ")
                    + " (record it with an exceptionReason to accept it anyway)", problems)
        }
        return problems.isEmpty ? nil : exception
    }
}
