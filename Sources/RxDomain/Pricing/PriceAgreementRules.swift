import Foundation

/// What a price agreement (价格协议) accepts as it is recorded and reported: facts in (what the store reads), a refusal
/// out, in the order the store asks. The timeline of prices in effect is `PriceTimeline`.
package enum PriceAgreementRules {
    /// A joint-procurement price is never entered by hand: it comes from the award of its round.
    package static func checkSource(_ source: PriceSource) throws(DomainError) {
        guard source != .jointProcurement else {
            throw .invalid("source", "a joint-procurement price comes from the award of its round")
        }
    }

    /// The agreement's drug exists (`known`).
    package static func checkDrug(_ drugCode: String, known: Bool) throws(DomainError) {
        guard known else { throw .invalid("drugCode", "no drug \(drugCode)") }
    }

    /// A negotiated price (集中议定价) is for a drug in the consortium catalogue in effect on `date`, in the unit of the
    /// provincial winning-bid price in effect then (`ceiling`), and not above it.
    package static func checkNegotiated(
        _ drugCode: String, _ price: Money, _ unit: PriceUnit, on date: BusinessDate, inCatalogue: Bool, ceiling: BidCeiling?
    ) throws(DomainError) {
        guard inCatalogue else {
            throw .invalid("drugCode", "\(drugCode) is not in the consortium catalogue in effect on \(date)")
        }
        guard let ceiling else {
            throw .invalid(
                "drugCode", "\(drugCode) has no provincial winning-bid price in effect on \(date) to cap a negotiated price")
        }
        guard ceiling.priceUnit == unit else {
            throw .invalid(
                "priceUnit",
                "the provincial price is per \(ceiling.priceUnit.rawValue); give the negotiated price per \(ceiling.priceUnit.rawValue) too"
            )
        }
        guard price <= ceiling.unitPrice else {
            throw .unprocessable(
                "the negotiated price \(price) exceeds the provincial winning-bid price \(ceiling.unitPrice) (\(ceiling.bidReference)) in effect on \(date)",
                [
                    FieldError(
                        field: "unitPrice", reason: "\(price) is above the provincial winning-bid price \(ceiling.unitPrice)")
                ])
        }
    }

    /// Only an agreed negotiated price is reported to the provincial platform (网上价格维护).
    package static func checkReportable(_ agreement: PriceAgreement) throws(DomainError) {
        guard agreement.source == .consortiumNegotiated, agreement.status == .agreed else {
            throw .conflict(
                "agreement \(agreement.id) is a \(agreement.source.rawValue) price, \(agreement.status.rawValue); only an agreed negotiated price is reported"
            )
        }
    }
}
