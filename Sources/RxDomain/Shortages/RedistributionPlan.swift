import Foundation

/// A proposed redistribution (调剂) of a short drug: transfers from members with surplus to members short, largest
/// need first, never leaving a sender below its own threshold; and the need left unmet. Accepting a proposal makes a
/// stock transfer (`StockTransferRules`).
package struct RedistributionPlan: Sendable, Equatable {
    /// A member's position for the plan: stock on hand, consumption over the window, its lots (for FEFO; empty when
    /// not given) and whether the drug is in its catalogue in effect (a receiver must have it).
    package struct Member: Sendable, Equatable {
        package var institutionCode: String
        package var onHand: Quantity
        package var consumed: Quantity
        package var lots: [StockRules.LotOnHand]
        package var inCatalogue: Bool

        package init(
            institutionCode: String, onHand: Quantity, consumed: Quantity, lots: [StockRules.LotOnHand] = [],
            inCatalogue: Bool = true
        ) {
            self.institutionCode = institutionCode
            self.onHand = onHand
            self.consumed = consumed
            self.lots = lots
            self.inCatalogue = inCatalogue
        }
    }

    /// One proposed transfer: from, to, how much, and the sender's lots first expiry first out when lots were given.
    package struct Proposal: Sendable, Equatable {
        package var fromInstitutionCode: String
        package var toInstitutionCode: String
        package var quantity: Quantity
        package var lots: [StockRules.Allocation]

        package init(
            fromInstitutionCode: String, toInstitutionCode: String, quantity: Quantity, lots: [StockRules.Allocation] = []
        ) {
            self.fromInstitutionCode = fromInstitutionCode
            self.toInstitutionCode = toInstitutionCode
            self.quantity = quantity
            self.lots = lots
        }
    }

    package var drugCode: String
    package var proposals: [Proposal]
    /// Need no sender could meet, per member short.
    package var unmet: [String: Quantity]

    /// The plan for `drugCode` on `today`. A member is short when its days of stock are below `lowStockDays` (or it
    /// holds none of a drug it used); its need is what brings it back to the threshold (`lowStockDays` of its daily
    /// use), in whole units rounded up. A member with surplus has more than `surplusDays` days of stock (or stock and
    /// no use in the window); it may give what it holds above its own threshold, in whole units rounded down, and,
    /// when its lots are given, only from lots it may issue (`minimumShelfLifeDays`), first expiry first out.
    /// Receivers by need, largest first, then code; senders by days of stock, most first (no use counts as most),
    /// then code. Deterministic.
    package static func propose(
        drugCode: String, members: [Member], settings: ShortageSettings, on today: BusinessDate, minimumShelfLifeDays: Int
    ) throws(DomainError) -> RedistributionPlan {
        try settings.check()
        let window = Decimal(settings.windowDays)
        let threshold = Decimal(settings.lowStockDays)
        func daily(_ m: Member) -> Decimal { m.consumed.value / window }

        var needs: [(code: String, need: Decimal)] = []
        var senders: [(code: String, days: Decimal?, give: Decimal, lots: [StockRules.LotOnHand])] = []
        for member in members {
            let days = try StockRules.daysOfStock(
                onHand: member.onHand, consumed: member.consumed, windowDays: settings.windowDays)
            let use = daily(member)
            if let days, days < threshold || member.onHand <= .zero {
                guard member.inCatalogue else { continue }
                let need = roundUp(threshold * use - member.onHand.value)
                if need > 0 { needs.append((member.institutionCode, need)) }
            } else if member.onHand > .zero, days.map({ $0 > Decimal(settings.surplusDays) }) ?? true {
                var give = roundDown(member.onHand.value - threshold * use)
                var lots = member.lots
                if !lots.isEmpty {
                    lots = lots.filter {
                        StockRules.issueability(
                            expiry: $0.lot.expiry, block: $0.block, on: today, minimumShelfLifeDays: minimumShelfLifeDays
                        ).isIssuable
                    }
                    give = min(give, roundDown(lots.reduce(Decimal(0)) { $0 + $1.quantity.value }))
                }
                if give > 0 { senders.append((member.institutionCode, days, give, lots)) }
            }
        }
        needs.sort { ($0.need, $1.code) > ($1.need, $0.code) }
        senders.sort { a, b in
            switch (a.days, b.days) {
            case (nil, nil): return a.code < b.code
            case (nil, _): return true
            case (_, nil): return false
            case (let x?, let y?): return x != y ? x > y : a.code < b.code
            }
        }
        var proposals: [Proposal] = []
        var unmet: [String: Quantity] = [:]
        for (code, need) in needs {
            var left = need
            for s in senders.indices where left > 0 && senders[s].give > 0 {
                let take = min(left, senders[s].give)
                var allocations: [StockRules.Allocation] = []
                if !senders[s].lots.isEmpty {
                    allocations = try StockRules.allocateFEFO(
                        senders[s].lots, quantity: Quantity(take), on: today, minimumShelfLifeDays: minimumShelfLifeDays)
                    for allocation in allocations {
                        if let i = senders[s].lots.firstIndex(where: { $0.lot == allocation.lot }) {
                            senders[s].lots[i].quantity = senders[s].lots[i].quantity - allocation.quantity
                        }
                    }
                }
                senders[s].give -= take
                left -= take
                proposals.append(
                    Proposal(
                        fromInstitutionCode: senders[s].code, toInstitutionCode: code, quantity: Quantity(take),
                        lots: allocations))
            }
            if left > 0 { unmet[code] = Quantity(left) }
        }
        return RedistributionPlan(drugCode: drugCode, proposals: proposals, unmet: unmet)
    }

    static func roundUp(_ value: Decimal) -> Decimal { rounded(value, .up) }
    static func roundDown(_ value: Decimal) -> Decimal { rounded(value, .down) }

    private static func rounded(_ value: Decimal, _ mode: NSDecimalNumber.RoundingMode) -> Decimal {
        var value = value
        var result = Decimal()
        NSDecimalRound(&result, &value, 0, mode)
        return result
    }
}
