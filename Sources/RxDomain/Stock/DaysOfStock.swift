import Foundation

/// Days of stock (库存可用天数) of one drug at one member, or at the consortium as a whole (no member): what is on
/// hand, how much of it may still be issued, the consumption over the window and its daily average, and the days
/// that stock lasts at that rate (nil: nothing was consumed in the window).
package struct DaysOfStock: Sendable, Equatable {
    package var institutionCode: String?
    package var drugCode: String
    /// Everything held, issuable or not.
    package var onHand: Quantity
    /// What may still be issued today: not expired, not blocked, not below the minimum shelf life for issue.
    package var issuable: Quantity
    /// Dispensed less returned over the window.
    package var consumed: Quantity
    /// `consumed` ÷ the window's days, to four decimals.
    package var averageDailyConsumption: Decimal
    package var days: Decimal?
}

/// The days of the consumption window: the whole business days before `today` (today is not over yet).
package struct ConsumptionWindow: Sendable, Equatable {
    package var from: BusinessDate
    package var to: BusinessDate
    package var days: Int
}

extension StockRules {
    /// The consumption window ending the day before `today`, `days` long (setting `stock_consumption_window_days`;
    /// not positive is a wrong setting, 503).
    package static func consumptionWindow(before today: BusinessDate, days: Int) throws(DomainError) -> ConsumptionWindow {
        guard days > 0 else { throw .unavailable("the setting stock_consumption_window_days must be positive, not \(days)") }
        return ConsumptionWindow(from: today.adding(days: -days), to: today.adding(days: -1), days: days)
    }

    /// Days of stock of a drug at a member from its lots and its consumption over the window: the stock that lasts
    /// is the issuable stock (`issueability` on `today`), since expired, blocked and short-dated lots are never
    /// dispensed.
    package static func daysOfStock(
        institutionCode: String?, drugCode: String, lots: [LotOnHand], consumed: Quantity, window: ConsumptionWindow,
        on today: BusinessDate, minimumShelfLifeDays: Int
    ) throws(DomainError) -> DaysOfStock {
        var onHand = Quantity.zero
        var issuable = Quantity.zero
        for lot in lots {
            onHand = onHand + lot.quantity
            let state = issueability(
                expiry: lot.lot.expiry, block: lot.block, on: today, minimumShelfLifeDays: minimumShelfLifeDays)
            if state == .issuable { issuable = issuable + lot.quantity }
        }
        return try position(
            institutionCode: institutionCode, drugCode: drugCode, onHand: onHand, issuable: issuable, consumed: consumed,
            window: window)
    }

    /// The consortium's days of stock of a drug: every member's issuable stock over every member's consumption.
    package static func consortiumDaysOfStock(drugCode: String, members: [DaysOfStock], window: ConsumptionWindow)
        throws(DomainError) -> DaysOfStock
    {
        let onHand = members.reduce(Quantity.zero) { $0 + $1.onHand }
        let issuable = members.reduce(Quantity.zero) { $0 + $1.issuable }
        let consumed = members.reduce(Quantity.zero) { $0 + $1.consumed }
        return try position(
            institutionCode: nil, drugCode: drugCode, onHand: onHand, issuable: issuable, consumed: consumed,
            window: window)
    }

    /// The order a member's days of stock are read in: fewest days first (the most urgent), then the drugs nothing
    /// was consumed of; ties by drug code.
    package static func fewestDaysFirst(_ a: DaysOfStock, _ b: DaysOfStock) -> Bool {
        switch (a.days, b.days) {
        case (let x?, let y?) where x != y: return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        default: return a.drugCode < b.drugCode
        }
    }

    private static func position(
        institutionCode: String?, drugCode: String, onHand: Quantity, issuable: Quantity, consumed: Quantity,
        window: ConsumptionWindow
    ) throws(DomainError) -> DaysOfStock {
        var average = consumed.value / Decimal(window.days)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &average, 4, .plain)
        return DaysOfStock(
            institutionCode: institutionCode, drugCode: drugCode, onHand: onHand, issuable: issuable, consumed: consumed,
            averageDailyConsumption: rounded,
            days: try daysOfStock(onHand: issuable, consumed: consumed, windowDays: window.days))
    }
}
