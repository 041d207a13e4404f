import Foundation

/// Whether a lot may be issued on a date, and if not why.
package enum LotIssueability: Sendable, Equatable {
    case issuable
    /// 过期: on or after its expiry date the lot is quarantined; it only leaves destroyed or returned.
    case expired
    /// 召回 / 抽检不合格: blocked at every member until released.
    case blocked(LotBlockKind)
    /// 效期不足: fewer days left than the minimum remaining shelf life for issue; not issued to patients.
    case shortShelfLife(daysLeft: Int)

    package var isIssuable: Bool { self == .issuable }

    /// Quarantined stock (expired or blocked) leaves only by destruction, a return to the supplier or a count loss.
    package var isQuarantined: Bool {
        switch self {
        case .expired, .blocked: return true
        case .issuable, .shortShelfLife: return false
        }
    }
}

/// Where a lot stands against the near-expiry thresholds (近效期).
package enum ExpiryClass: String, Sendable, Codable, CaseIterable {
    case ok
    /// Within the first (wider) threshold, `stock_near_expiry_days_first`.
    case nearExpiryFirst = "near_expiry_first"
    /// Within the second (narrower) threshold, `stock_near_expiry_days_second`.
    case nearExpirySecond = "near_expiry_second"
    case expired
}

/// The rules of the stock ledger (库存): issueability, first expiry first out, near expiry, days of stock. Pure:
/// the stores gather the lots on hand and the settings, these decide.
package enum StockRules {
    /// A lot on hand at one location: its quantity, and its block if any.
    package struct LotOnHand: Sendable, Equatable {
        package var lot: StockLot
        package var quantity: Quantity
        package var block: LotBlockKind?

        package init(lot: StockLot, quantity: Quantity, block: LotBlockKind? = nil) {
            self.lot = lot
            self.quantity = quantity
            self.block = block
        }
    }

    /// One lot and the quantity to take from it.
    package struct Allocation: Sendable, Equatable, Encodable {
        package var lot: StockLot
        package var quantity: Quantity

        package init(lot: StockLot, quantity: Quantity) {
            self.lot = lot
            self.quantity = quantity
        }
    }

    /// A lot's issueability on `today`: expired from its expiry date on (quarantine), blocked while a recall or an
    /// inspection rejection stands, and, for an issue to a patient, short when fewer than `minimumShelfLifeDays`
    /// (setting `stock_min_shelf_life_issue_days`) are left.
    package static func issueability(
        expiry: BusinessDate, block: LotBlockKind?, on today: BusinessDate, minimumShelfLifeDays: Int
    ) -> LotIssueability {
        let daysLeft = today.days(to: expiry)
        if daysLeft <= 0 { return .expired }
        if let block { return .blocked(block) }
        if daysLeft < minimumShelfLifeDays { return .shortShelfLife(daysLeft: daysLeft) }
        return .issuable
    }

    /// The lots to issue `quantity` from (发药), first expiry first out (FEFO): the issuable lots by expiry date,
    /// ties by lot key, each emptied before the next. With `lotNumber` only that lot (by its key) is taken, and a
    /// lot that may not be issued is refused naming `lotNumber`. Not enough issuable stock: 422 naming `quantity`
    /// with what is available. `minimumShelfLifeDays`: the setting `stock_min_shelf_life_issue_days` for an issue to
    /// a patient, 0 where the shelf life does not matter (a transfer, a return).
    package static func allocateFEFO(
        _ lots: [LotOnHand], quantity: Quantity, on today: BusinessDate, minimumShelfLifeDays: Int, lotNumber: String? = nil
    ) throws(DomainError) -> [Allocation] {
        guard quantity > .zero else { throw .invalid("quantity", "must be positive") }
        var candidates = lots.filter { $0.quantity > .zero }
        if let lotNumber {
            let key = LotKey(lotNumber)
            candidates = candidates.filter { $0.lot.lotKey == key }
            guard let named = candidates.first else {
                throw .invalid("lotNumber", "no stock of lot \(lotNumber) here")
            }
            let state = issueability(
                expiry: named.lot.expiry, block: named.block, on: today, minimumShelfLifeDays: minimumShelfLifeDays)
            if let reason = refusalReason(state, lot: named.lot) { throw .invalid("lotNumber", reason) }
        }
        let issuable = candidates.filter {
            issueability(expiry: $0.lot.expiry, block: $0.block, on: today, minimumShelfLifeDays: minimumShelfLifeDays)
                .isIssuable
        }
        .sorted { ($0.lot.expiry, $0.lot.lotKey) < ($1.lot.expiry, $1.lot.lotKey) }
        let available = issuable.reduce(Quantity.zero) { $0 + $1.quantity }
        guard quantity <= available else {
            throw .invalid("quantity", "\(quantity) is more than the \(available) that may be issued")
        }
        var left = quantity
        var allocations: [Allocation] = []
        for lot in issuable where left > .zero {
            let take = min(lot.quantity, left)
            allocations.append(Allocation(lot: lot.lot, quantity: take))
            left = left - take
        }
        return allocations
    }

    /// Why a lot in this state is not issued, or nil when it is.
    static func refusalReason(_ state: LotIssueability, lot: StockLot) -> String? {
        switch state {
        case .issuable: return nil
        case .expired: return "lot \(lot.lotNumber) expired on \(lot.expiry) and is quarantined"
        case .blocked(.recall): return "lot \(lot.lotNumber) is recalled"
        case .blocked(.inspectionRejection): return "lot \(lot.lotNumber) was rejected by inspection and is blocked"
        case .shortShelfLife(let days):
            return "lot \(lot.lotNumber) has \(days) days left, less than the minimum shelf life for issue"
        }
    }

    /// Stock that may not be issued (expired or blocked) leaves only destroyed (105), returned to the supplier (109)
    /// or written off by a count (104); 422 naming `reasonCode` otherwise.
    package static func checkOutgoing(reason: StockMovementReason, state: LotIssueability, lot: StockLot) throws(DomainError) {
        guard state.isQuarantined, reason.direction == .out, !reason.disposesOfQuarantinedStock else { return }
        throw .invalid(
            "reasonCode", "\(refusalReason(state, lot: lot) ?? "") and leaves only destroyed (105) or returned (109)")
    }

    /// Near expiry (近效期) on `today`: expired from the expiry date on; within the second (narrower) threshold when
    /// at most `secondDays` days are left; within the first when at most `firstDays` are left; else ok. Thresholds
    /// are the settings `stock_near_expiry_days_first` and `stock_near_expiry_days_second`.
    package static func expiryClass(
        expiry: BusinessDate, on today: BusinessDate, firstDays: Int, secondDays: Int
    ) -> ExpiryClass {
        let daysLeft = today.days(to: expiry)
        if daysLeft <= 0 { return .expired }
        if daysLeft <= min(firstDays, secondDays) { return .nearExpirySecond }
        if daysLeft <= max(firstDays, secondDays) { return .nearExpiryFirst }
        return .ok
    }

    /// Days of stock (库存可用天数) = on hand ÷ average daily consumption over the window (setting
    /// `stock_consumption_window_days`), to one decimal, rounded down. nil when nothing was consumed in the window
    /// (the stock lasts indefinitely); a window that is not positive is a wrong setting (503).
    package static func daysOfStock(onHand: Quantity, consumed: Quantity, windowDays: Int) throws(DomainError) -> Decimal? {
        guard windowDays > 0 else {
            throw .unavailable("the setting stock_consumption_window_days must be positive, not \(windowDays)")
        }
        guard consumed > .zero else { return nil }
        var days = onHand.value * Decimal(windowDays) / consumed.value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &days, 1, .down)
        return max(rounded, 0)
    }

    /// A delivery's purchase receipt (108) in the ledger's unit, the drug's own: an order line counted in packages
    /// enters as packages × the package size, at the order's price per unit (four decimals).
    package static func receipt(
        delivered: Quantity, orderedIn unit: PriceUnit, packageSize: Decimal, unitPrice: Money
    ) -> (quantity: Quantity, unitCost: Decimal) {
        switch unit {
        case .unit:
            return (delivered, unitPrice.rounded(4).amount)
        case .package:
            return (Quantity(delivered.value * packageSize), Money(unitPrice.amount / packageSize).rounded(4).amount)
        }
    }

    /// A movement's quantity is positive; its direction comes from its reason.
    package static func signedQuantity(_ quantity: Quantity, reason: StockMovementReason) throws(DomainError) -> Decimal {
        guard quantity > .zero else { throw .invalid("quantity", "must be positive") }
        return quantity.value * reason.direction.sign
    }

    /// A lot block: a recall names the regulator's notice number (422 naming `noticeNumber`); every block names why.
    package static func checkBlock(kind: LotBlockKind, noticeNumber: String?, reason: String) throws(DomainError) {
        var errors: [FieldError] = []
        if kind == .recall && (noticeNumber ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            errors.append(FieldError(field: "noticeNumber", reason: "a recall names the regulator's notice number"))
        }
        if reason.trimmingCharacters(in: .whitespaces).isEmpty {
            errors.append(FieldError(field: "reason", reason: "must not be blank"))
        }
        try TransferRules.refuse(errors, "the lot block is refused")
    }
}
