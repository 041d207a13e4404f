import Foundation

/// A share as a percentage with one decimal (`part ÷ whole × 100`), nil when the whole is zero: no purchases is not
/// a share of 0 %.
package func percentShare(_ part: Decimal, of whole: Decimal) -> Decimal? {
    guard whole > 0 else { return nil }
    var value = part * 100 / whole
    var rounded = Decimal()
    NSDecimalRound(&rounded, &value, 1, .plain)
    return rounded
}

/// 基本药物采购品种数占比 and 金额占比, the figures a consortium and each member are assessed on: of what was bought
/// in a period (received, at the unified price, as the spend report counts it), how many drugs and how much money
/// were national essential medicines (国家基本药物). Decoction pieces (中药饮片) are left out of both sides, as the
/// assessment leaves them out.
package struct EssentialShare: Sendable, Equatable, Codable {
    /// The member, nil for the consortium as a whole (its drugs counted once, not summed over members).
    package var institutionCode: String?
    /// Distinct drugs bought, and those of them that are essential.
    package var drugs: Int
    package var essentialDrugs: Int
    /// Money spent (received quantity × unit price), and that on essential drugs.
    package var amount: Money
    package var essentialAmount: Money

    package init(institutionCode: String?, drugs: Int, essentialDrugs: Int, amount: Money, essentialAmount: Money) {
        (self.institutionCode, self.drugs, self.essentialDrugs) = (institutionCode, drugs, essentialDrugs)
        (self.amount, self.essentialAmount) = (amount, essentialAmount)
    }

    /// 品种数占比, percent.
    package var drugShare: Decimal? { percentShare(Decimal(essentialDrugs), of: Decimal(drugs)) }
    /// 金额占比, percent.
    package var amountShare: Decimal? { percentShare(essentialAmount.amount, of: amount.amount) }
}

/// How long a payable has waited since the invoice was accepted (账龄), in the buckets finance reports: 0–30,
/// 31–60, 61–90 and over 90 days. Only what is still unpaid is aged.
package enum PayableAge: String, Sendable, Codable, CaseIterable {
    case upTo30 = "0-30"
    case upTo60 = "31-60"
    case upTo90 = "61-90"
    case over90 = "90+"

    package static func of(acceptedOn: BusinessDate, today: BusinessDate) -> PayableAge {
        switch acceptedOn.days(to: today) {
        case ...30: .upTo30
        case 31...60: .upTo60
        case 61...90: .upTo90
        default: .over90
        }
    }

    /// One bucket's unpaid invoices and their unpaid money.
    package struct Bucket: Sendable, Equatable, Codable {
        package var age: PayableAge
        package var invoices: Int
        package var unpaid: Money
    }

    /// Every bucket, in order, empty ones too: `(acceptedOn, unpaid)` of each invoice with money left to pay.
    package static func buckets(_ unpaid: [(acceptedOn: BusinessDate, unpaid: Money)], today: BusinessDate) -> [Bucket] {
        var buckets = allCases.map { Bucket(age: $0, invoices: 0, unpaid: Money(0)) }
        for payable in unpaid where payable.unpaid.amount > 0 {
            let i = allCases.firstIndex(of: of(acceptedOn: payable.acceptedOn, today: today))!
            buckets[i].invoices += 1
            buckets[i].unpaid = (buckets[i].unpaid + payable.unpaid).rounded(2)
        }
        return buckets
    }
}

/// 目录覆盖: of the consortium catalogue's items in effect, the share a member's list holds (items of its list that
/// are in line with the catalogue ÷ the catalogue's items).
package struct CatalogueCoverage: Sendable, Equatable, Codable {
    package var institutionCode: String
    package var items: Int
    package var catalogueItems: Int

    package init(institutionCode: String, listItems: Int, outOfLine: Int, catalogueItems: Int) {
        self.institutionCode = institutionCode
        self.items = max(0, listItems - outOfLine)
        self.catalogueItems = catalogueItems
    }

    package var share: Decimal? { percentShare(Decimal(items), of: Decimal(catalogueItems)) }
}

extension ExtendedOutcome {
    /// One key for every outcome: `ExtendedPrescriptionRules.fulfilment(_:by: \.wholeConsortium)` is the whole's.
    package var wholeConsortium: String { "" }
}

/// 近效期药品金额: stock on hand by where it stands against the near-expiry thresholds (`StockRules.expiryClass`),
/// valued at its cost: quantity × the unit cost its holding carries, that of the lot's latest movement with one (a
/// delivery's order price, an opening balance's cost). A lot whose cost is not known is counted and not valued, so
/// the value is never a guess.
package struct ExpiringStockValue: Sendable, Equatable, Codable {
    package var expiryClass: ExpiryClass
    package var lots: Int
    package var value: Money
    package var lotsWithoutCost: Int

    /// The holdings on hand that expire on one day: how many, how many without a unit cost, and the value of the
    /// others at their cost.
    package struct Day: Sendable, Equatable {
        package var expiry: BusinessDate
        package var holdings: Int
        package var holdingsWithoutCost: Int
        package var value: Decimal

        package init(expiry: BusinessDate, holdings: Int, holdingsWithoutCost: Int, value: Decimal) {
            self.expiry = expiry
            self.holdings = holdings
            self.holdingsWithoutCost = holdingsWithoutCost
            self.value = value
        }
    }

    /// The wider threshold, the narrower, and expired, in that order (empty ones too), from the days on which the
    /// stock on hand expires by the wider threshold.
    package static func buckets(_ days: [Day], today: BusinessDate, firstDays: Int, secondDays: Int)
        -> [ExpiringStockValue]
    {
        let classes: [ExpiryClass] = [.nearExpiryFirst, .nearExpirySecond, .expired]
        var buckets = classes.map { ExpiringStockValue(expiryClass: $0, lots: 0, value: Money(0), lotsWithoutCost: 0) }
        for day in days {
            let found = StockRules.expiryClass(expiry: day.expiry, on: today, firstDays: firstDays, secondDays: secondDays)
            guard let i = classes.firstIndex(of: found) else { continue }
            buckets[i].lots += day.holdings
            buckets[i].lotsWithoutCost += day.holdingsWithoutCost
            buckets[i].value = (buckets[i].value + Money(day.value)).rounded(2)
        }
        return buckets
    }
}

/// 带量采购完成进度 of a member in an agreement: how far it has come through the volumes it agreed, against the pace the
/// year asks. Each generic name has its own unit, so the member's figure is the mean of its names' completion shares
/// (each counted up to 100 %), beside how many of its names are behind pace (`VBPRules.completion`).
package struct VolumePace: Sendable, Equatable, Codable {
    package var institutionCode: String
    package var names: Int
    package var behindPace: Int
    /// Percent, one decimal; nil without an agreed volume.
    package var completion: Decimal?
    /// Elapsed days ÷ the period's days, percent, one decimal: where the year's pace stands.
    package var pace: Decimal?

    /// One row per member, in code order.
    package static func byMember(_ completion: [VBPCompletion]) -> [VolumePace] {
        Dictionary(grouping: completion, by: \.institutionCode).map { code, rows in
            let shares = rows.compactMap(\.share).map { min($0, 1) }
            let first = rows[0]
            return VolumePace(
                institutionCode: code, names: rows.count, behindPace: rows.filter(\.behindPace).count,
                completion: shares.isEmpty ? nil : percentShare(shares.reduce(0, +), of: Decimal(shares.count)),
                pace: percentShare(Decimal(first.elapsedDays), of: Decimal(first.periodDays)))
        }.sorted { $0.institutionCode < $1.institutionCode }
    }

    /// One row per member of a decoction-piece round (中药饮片联合带量采购), in code order: each item it committed to
    /// counted up to 100 %, as for a national agreement; the pace is the round's period elapsed. An item bought
    /// without a commitment has no rate and is left out of the mean.
    package static func byMember(herb rows: [(institutionCode: String, pace: HerbProcurementRules.Pace)]) -> [VolumePace] {
        Dictionary(grouping: rows, by: \.institutionCode).map { code, rows in
            let shares = rows.compactMap(\.pace.completionRate).map { min($0, 1) }
            let first = rows[0].pace
            return VolumePace(
                institutionCode: code, names: rows.count, behindPace: rows.filter(\.pace.behind).count,
                completion: shares.isEmpty ? nil : percentShare(shares.reduce(0, +), of: Decimal(shares.count)),
                pace: percentShare(Decimal(first.elapsedDays), of: Decimal(first.periodDays)))
        }.sorted { $0.institutionCode < $1.institutionCode }
    }
}
