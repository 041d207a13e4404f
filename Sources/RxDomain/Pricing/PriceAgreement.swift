import Foundation

// A unified price agreement (统一价格), its draft and the provincial ceiling over it.
package enum PriceSource: String, Sendable, Codable, CaseIterable {
    /// The provincial platform's winning-bid price (省级中标价), adopted as the unified price.
    case provincialBid = "provincial_bid"
    /// A price the consortium negotiated (集中议定); in effect once reported to the provincial platform.
    case consortiumNegotiated = "consortium_negotiated"
    /// The award of a volume-based joint procurement round.
    case jointProcurement = "joint_procurement"
}

package enum PriceUnit: String, Sendable, Codable, CaseIterable {
    /// Per package (盒, 瓶 …).
    case package
    /// Per the drug's own unit (片, ml, kg …).
    case unit
}

/// Whether an agreement has a period, as stored: `in_effect` means it has one, whether or not the period has begun
/// or ended. What users read is `status(on:)`.
package enum AgreementStatus: String, Sendable, Codable, CaseIterable {
    case agreed
    case inEffect = "in_effect"
    case superseded
}

package struct PriceAgreement: Sendable, Equatable, Encodable {
    package var id: Int64
    package var drugCode: String
    package var unitPrice: Money
    package var priceUnit: PriceUnit
    package var source: PriceSource
    package var reference: String
    package var requestedFrom: BusinessDate
    package var status: AgreementStatus
    package var reportedOn: BusinessDate?
    package var platformReference: String?
    package var effectiveFrom: BusinessDate?
    /// The day after the last day in effect; nil while open.
    package var effectiveTo: BusinessDate?

    package init(
        id: Int64, drugCode: String, unitPrice: Money, priceUnit: PriceUnit, source: PriceSource, reference: String,
        requestedFrom: BusinessDate, status: AgreementStatus, reportedOn: BusinessDate?, platformReference: String?,
        effectiveFrom: BusinessDate?, effectiveTo: BusinessDate?
    ) {
        self.id = id
        self.drugCode = drugCode
        self.unitPrice = unitPrice
        self.priceUnit = priceUnit
        self.source = source
        self.reference = reference
        self.requestedFrom = requestedFrom
        self.status = status
        self.reportedOn = reportedOn
        self.platformReference = platformReference
        self.effectiveFrom = effectiveFrom
        self.effectiveTo = effectiveTo
    }

    /// What the agreement is on `day`: agreed, scheduled, in effect, ended or superseded.
    package func status(on day: BusinessDate) -> PriceAgreementStatus {
        PriceTimeline.status(from: effectiveFrom, to: effectiveTo, superseded: status == .superseded, on: day)
    }
}

package struct PriceAgreementDraft: Sendable {
    package var drugCode: String
    package var unitPrice: Money
    package var priceUnit: PriceUnit
    package var source: PriceSource
    package var reference: String
    package var effectiveFrom: BusinessDate
    package init(
        drugCode: String, unitPrice: Money, priceUnit: PriceUnit, source: PriceSource, reference: String,
        effectiveFrom: BusinessDate
    ) {
        self.drugCode = drugCode
        self.unitPrice = unitPrice
        self.priceUnit = priceUnit
        self.source = source
        self.reference = reference
        self.effectiveFrom = effectiveFrom
    }
}

/// The provincial winning-bid price (省级中标价) in effect on a date: the cap of a negotiated price.
package struct BidCeiling: Sendable, Equatable {
    package var unitPrice: Money
    package var priceUnit: PriceUnit
    package var bidReference: String
    package init(unitPrice: Money, priceUnit: PriceUnit, bidReference: String) {
        self.unitPrice = unitPrice
        self.priceUnit = priceUnit
        self.bidReference = bidReference
    }
}
