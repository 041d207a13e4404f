import Foundation

/// Where a stock count sheet (盘点单) stands: open while counts are entered, approved (differences posted), or
/// cancelled.
package enum StockCountStatus: String, Sendable, Codable, CaseIterable {
    case open, approved, cancelled
}

/// The rules of stock counts (盘点): counted against expected per lot, the differences posted as count surplus (103)
/// or count loss (104) when a second person approves.
package enum StockCountRules {
    /// A lot's line on a count sheet: what the ledger expects, what was counted (nil until entered).
    package struct Line: Sendable, Equatable, Codable {
        package var lot: StockLot
        package var expected: Quantity
        package var counted: Quantity?

        package init(lot: StockLot, expected: Quantity, counted: Quantity?) {
            self.lot = lot
            self.expected = expected
            self.counted = counted
        }
    }

    /// A difference to post: the lot, the reason (103 or 104) and the quantity.
    package struct Difference: Sendable, Equatable {
        package var lot: StockLot
        package var reason: StockMovementReason
        package var quantity: Quantity

        package init(lot: StockLot, reason: StockMovementReason, quantity: Quantity) {
            self.lot = lot
            self.reason = reason
            self.quantity = quantity
        }
    }

    /// A counted quantity is not negative (422 naming the field).
    package static func checkCounted(_ counted: Quantity, field: String) throws(DomainError) {
        guard counted >= .zero else { throw .invalid(field, "must not be negative") }
    }

    /// Approving a sheet: it is open (409 naming its state), approved by someone other than its counter (403), and
    /// every line is counted (422 naming `lines[i].countedQuantity`). Returns the differences to post: more counted
    /// than expected is a surplus (103), less a loss (104); lines that agree post nothing.
    package static func approve(
        status: StockCountStatus, counterToken: String, approverToken: String, lines: [Line]
    ) throws(DomainError) -> [Difference] {
        guard status == .open else { throw .conflict("a count sheet that is \(status.rawValue) cannot be approved") }
        guard counterToken != approverToken else {
            throw .forbidden("a count is approved by a second person, not by the one who counted it")
        }
        var errors: [FieldError] = []
        var differences: [Difference] = []
        for (i, line) in lines.enumerated() {
            guard let counted = line.counted else {
                errors.append(FieldError(field: "lines[\(i)].countedQuantity", reason: "is not counted yet"))
                continue
            }
            if counted > line.expected {
                differences.append(Difference(lot: line.lot, reason: .countSurplus, quantity: counted - line.expected))
            } else if counted < line.expected {
                differences.append(Difference(lot: line.lot, reason: .countLoss, quantity: line.expected - counted))
            }
        }
        try TransferRules.refuse(errors, "the count cannot be approved")
        return differences
    }

    /// Counts are entered while the sheet is open (409 naming its state otherwise).
    /// A sheet is cancelled only while open (a count abandoned: nothing posts); an approved sheet stays.
    package static func checkCancel(status: StockCountStatus) throws(DomainError) {
        guard status == .open else { throw .conflict("a count sheet that is \(status.rawValue) cannot be cancelled") }
    }

    package static func checkEntry(status: StockCountStatus) throws(DomainError) {
        guard status == .open else { throw .conflict("a count sheet that is \(status.rawValue) takes no counts") }
    }
}
