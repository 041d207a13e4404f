import Foundation

/// The rules of national and provincial volume-based procurement agreements (国家/省级集采): what an agreement must
/// hold, a member's proposed volume, and its completion and pace. Pure: the stores bring the drugs, the members'
/// usage and their receipts.
package enum VBPRules {
    /// What the store found of a drug named as a winning product.
    package struct ProductFacts: Sendable, Equatable {
        package var genericName: String
        package init(genericName: String) { self.genericName = genericName }
    }

    /// An agreement as typed: a batch (1–100 characters), a period of at most 366 days (`periodEnd` on or after
    /// `periodStart`), at least one generic name, each with a positive pre-procurement price and at least one winning
    /// product whose drug exists, carries that generic name and wins once in the agreement, at a positive price.
    /// Every fault is one field error (422), named by its place in the request.
    package static func checkAgreement(
        batch: String, periodStart: BusinessDate, periodEnd: BusinessDate, generics: [VBPGeneric],
        drugs: [String: ProductFacts]
    ) throws(DomainError) {
        var errors: [FieldError] = []
        let trimmed = batch.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty || trimmed.count > 100 { errors.append(.init(field: "batch", reason: "1 to 100 characters")) }
        if periodEnd < periodStart {
            errors.append(.init(field: "periodEnd", reason: "\(periodEnd) is before the period's start (\(periodStart))"))
        } else if periodStart.days(to: periodEnd) >= 366 {
            errors.append(.init(field: "periodEnd", reason: "an agreement covers one agreement year, at most 366 days"))
        }
        if generics.isEmpty { errors.append(.init(field: "generics", reason: "name at least one generic name")) }
        var names: Set<String> = []
        var winners: Set<String> = []
        for (i, generic) in generics.enumerated() {
            let place = "generics[\(i)]"
            if !names.insert(generic.genericName).inserted {
                errors.append(.init(field: "\(place).genericName", reason: "\(generic.genericName) is named twice"))
            }
            if generic.preProcurementAveragePrice.amount <= 0 {
                errors.append(.init(field: "\(place).preProcurementAveragePrice", reason: "must be positive"))
            }
            if generic.products.isEmpty {
                errors.append(.init(field: "\(place).products", reason: "name at least one winning product"))
            }
            for (j, product) in generic.products.enumerated() {
                let field = "\(place).products[\(j)]"
                if product.winningPrice.amount <= 0 {
                    errors.append(.init(field: "\(field).winningPrice", reason: "must be positive"))
                }
                guard let drug = drugs[product.drugCode] else {
                    errors.append(.init(field: "\(field).drugCode", reason: "no drug \(product.drugCode)"))
                    continue
                }
                if drug.genericName != generic.genericName {
                    errors.append(
                        .init(
                            field: "\(field).drugCode",
                            reason: "\(product.drugCode) is a drug of \(drug.genericName), not of \(generic.genericName)"))
                }
                if !winners.insert(product.drugCode).inserted {
                    errors.append(.init(field: "\(field).drugCode", reason: "\(product.drugCode) wins once"))
                }
            }
        }
        guard errors.isEmpty else { throw .unprocessable("the agreement is not valid", errors) }
    }

    /// A member's proposed agreed volume (约定采购量): its prior-year usage of the generic name × the proposal percent
    /// (setting `vbp_volume_proposal_pct`, 80 % by RULES.md), rounded down to whole units (a volume is counted in
    /// tablets, ampoules …, never in fractions of one).
    package static func proposal(priorUsage: Decimal, proposalPercent: Decimal) -> Decimal {
        var value = priorUsage * proposalPercent / 100
        var result = Decimal()
        NSDecimalRound(&result, &value, 0, .down)
        return result
    }

    /// An agreed volume typed by hand: positive, whole units (422 naming `field`).
    package static func checkVolume(_ volume: Decimal, field: String) throws(DomainError) {
        guard volume > 0 else { throw .invalid(field, "must be positive") }
        var value = volume
        var whole = Decimal()
        NSDecimalRound(&whole, &value, 0, .down)
        guard whole == volume else { throw .invalid(field, "is counted in whole units of the drug") }
    }

    /// A member's completion of a generic name on `date` (RULES.md: purchases beyond the agreed volume continue at the
    /// winning price and count as over-volume): `received` of the winning products and `nonWinning` of the generic
    /// name's other products in the agreement year. The pace is `HerbProcurementRules.pace`'s: behind when less has
    /// been received than the agreed volume's share of the days elapsed.
    package static func completion(
        institutionCode: String, genericName: String, agreed: Decimal, received: Decimal, nonWinning: Decimal,
        dispensed: Decimal = 0, start: BusinessDate, end: BusinessDate, on date: BusinessDate
    ) -> VBPCompletion {
        let pace = HerbProcurementRules.pace(committed: agreed, bought: received, start: start, end: end, on: date)
        return VBPCompletion(
            institutionCode: institutionCode, genericName: genericName, agreed: agreed, completed: received,
            share: pace.completionRate, expected: pace.expected, behindPace: pace.behind,
            overVolume: pace.overCommitment, nonWinning: nonWinning, dispensed: dispensed, elapsedDays: pace.elapsedDays,
            periodDays: pace.periodDays)
    }
}
