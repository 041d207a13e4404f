import Foundation

/// What `consortiumrx reconcile herbs` finds for a member's item of a volume-based round (带量采购执行对账), or for a
/// lot the lead's lab rejected.
package enum HerbCommitmentClassification: String, RecordClassification {
    /// Bought at least what the share of the period elapsed asks (进度正常), not yet the whole commitment.
    case onPace = "on_pace"
    /// Bought exactly the commitment (完成约定采购量).
    case completed
    /// Bought less than the share of the period elapsed asks (进度滞后); at stake: the shortfall × awarded price.
    case behindPace = "behind_pace"
    /// Bought more than committed (超量采购), or bought without a commitment; at stake: the excess × awarded price.
    case overCommitment = "over_commitment"
    /// A lot the lead's lab rejected (抽检不合格) that a member nevertheless received; at stake: what it cost.
    case rejectedBatchReceived = "rejected_batch_received"

    package var isDiscrepancy: Bool {
        switch self {
        case .onPace, .completed: false
        case .behindPace, .overCommitment, .rejectedBatchReceived: true
        }
    }
}

/// A member's commitment to an item and what it bought against it by the as-of date.
package struct HerbCommitmentFacts: Sendable, Equatable {
    package var institutionCode: String
    package var drugCode: String
    package var drugName: String
    /// Accepted commitment, kg (0: none).
    package var committedKg: Decimal
    /// Ordered through purchase orders priced by the round's award (not cancelled, dated up to as-of), kg.
    package var orderedKg: Decimal
    /// Received of those orders up to as-of, kg.
    package var receivedKg: Decimal
    /// The awarded unit price per kg; nil before the award.
    package var awardedPrice: Money?

    package init(
        institutionCode: String, drugCode: String, drugName: String, committedKg: Decimal, orderedKg: Decimal,
        receivedKg: Decimal, awardedPrice: Money?
    ) {
        self.institutionCode = institutionCode
        self.drugCode = drugCode
        self.drugName = drugName
        self.committedKg = committedKg
        self.orderedKg = orderedKg
        self.receivedKg = receivedKg
        self.awardedPrice = awardedPrice
    }
}

/// A rejected lot as received by one member.
package struct RejectedBatchFacts: Sendable, Equatable {
    package var institutionCode: String
    package var drugCode: String
    package var drugName: String
    package var lotNumber: String
    package var supplierCode: String
    package var inspectedOn: BusinessDate
    package var failures: [String]
    /// Received of the lot, kg, up to as-of.
    package var receivedKg: Decimal
    package var firstReceivedOn: BusinessDate
    package var lastReceivedOn: BusinessDate
    /// Received quantity × the order lines' unit prices.
    package var value: Money

    package init(
        institutionCode: String, drugCode: String, drugName: String, lotNumber: String, supplierCode: String,
        inspectedOn: BusinessDate, failures: [String], receivedKg: Decimal, firstReceivedOn: BusinessDate,
        lastReceivedOn: BusinessDate, value: Money
    ) {
        self.institutionCode = institutionCode
        self.drugCode = drugCode
        self.drugName = drugName
        self.lotNumber = lotNumber
        self.supplierCode = supplierCode
        self.inspectedOn = inspectedOn
        self.failures = failures
        self.receivedKg = receivedKg
        self.firstReceivedOn = firstReceivedOn
        self.lastReceivedOn = lastReceivedOn
        self.value = value
    }
}

package enum HerbCommitmentReconciliation {
    static func kg(_ value: Decimal) -> String { DecimalText.format(value, places: 3) }

    /// Completion as a percentage, two decimals; nil without a commitment.
    package static func completionPercent(committed: Decimal, bought: Decimal) -> Decimal? {
        committed > 0 ? HerbProcurementRules.round(bought * 100 / committed, 2) : nil
    }

    /// Judges a member's item on `asOf` against the round's period (both days included), with the pace rule of the
    /// progress endpoint: expected = committed × elapsed days ÷ period days; behind when ordered < expected.
    package static func classify(
        _ f: HerbCommitmentFacts, periodStart: BusinessDate, periodEnd: BusinessDate,
        asOf: BusinessDate
    ) -> ReportEntry<HerbCommitmentClassification> {
        let pace = HerbProcurementRules.pace(
            committed: f.committedKg, bought: f.orderedKg, start: periodStart, end: periodEnd, on: asOf)
        let classification: HerbCommitmentClassification
        var moneyKg: Decimal = 0
        if f.orderedKg > f.committedKg {
            classification = .overCommitment
            moneyKg = f.orderedKg - f.committedKg
        } else if pace.behind {
            classification = .behindPace
            moneyKg = pace.expected - f.orderedKg
        } else if f.committedKg > 0 && f.orderedKg == f.committedKg {
            classification = .completed
        } else {
            classification = .onPace
        }
        var fields = [
            ReportField("committedKg", kg(f.committedKg)),
            ReportField("orderedKg", kg(f.orderedKg)),
            ReportField("receivedKg", kg(f.receivedKg)),
            ReportField(
                "completionPercent",
                completionPercent(committed: f.committedKg, bought: f.orderedKg)
                    .map { DecimalText.format($0, places: 2) } ?? "-"),
            ReportField("expectedKg", kg(pace.expected)),
            ReportField(
                "elapsedPercent",
                DecimalText.format(
                    HerbProcurementRules.round(Decimal(pace.elapsedDays) * 100 / Decimal(pace.periodDays), 2), places: 2)),
        ]
        if pace.overCommitment > 0 { fields.append(ReportField("overCommitmentKg", kg(pace.overCommitment))) }
        if classification == .behindPace { fields.append(ReportField("shortfallKg", kg(moneyKg))) }
        if let price = f.awardedPrice { fields.append(ReportField("awardedPrice", price.formatted(places: 4))) }
        let money = classification.isDiscrepancy ? (f.awardedPrice.map { ($0 * moneyKg).rounded(2) } ?? Money(0)) : nil
        return ReportEntry(
            subject: "\(f.institutionCode) \(f.drugCode) \(f.drugName)", classifications: [classification],
            fields: fields, moneyAtStake: money)
    }

    /// A rejected lot a member received is always a discrepancy, whether it arrived before the verdict (to be
    /// withdrawn) or after it (the block on its use was bypassed).
    package static func classify(_ b: RejectedBatchFacts) -> ReportEntry<HerbCommitmentClassification> {
        ReportEntry(
            subject: "\(b.institutionCode) \(b.drugCode) \(b.drugName) lot \(b.lotNumber)",
            classifications: [.rejectedBatchReceived],
            fields: [
                ReportField("lotNumber", b.lotNumber),
                ReportField("supplierCode", b.supplierCode),
                ReportField("inspectedOn", b.inspectedOn.description),
                ReportField("receivedKg", kg(b.receivedKg)),
                ReportField(
                    "receivedOn",
                    b.firstReceivedOn == b.lastReceivedOn
                        ? b.firstReceivedOn.description : "\(b.firstReceivedOn)..\(b.lastReceivedOn)"),
                ReportField("receivedAfterVerdict", b.lastReceivedOn > b.inspectedOn ? "yes" : "no"),
                ReportField("failures", b.failures.joined(separator: "; ")),
            ],
            moneyAtStake: b.value.rounded(2))
    }
}
