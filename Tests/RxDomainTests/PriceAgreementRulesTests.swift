import Foundation
import Testing

@testable import RxDomain

@Suite("Price agreement rules: source, drug, negotiated price, report (PriceAgreementRules)")
struct PriceAgreementRulesTests: RuleRefusals {
    let day = BusinessDate(year: 2027, month: 4, day: 1)
    let ceiling = BidCeiling(unitPrice: Money(Decimal(20)), priceUnit: .package, bidReference: "JL-2027-001")

    func agreement(_ source: PriceSource, _ status: AgreementStatus) -> PriceAgreement {
        PriceAgreement(
            id: 9, drugCode: "D1", unitPrice: Money(Decimal(18)), priceUnit: .package, source: source, reference: "r",
            requestedFrom: day, status: status, reportedOn: nil, platformReference: nil, effectiveFrom: nil, effectiveTo: nil)
    }

    @Test("a joint-procurement price is never entered by hand; the drug must exist")
    func source() {
        #expect(field { try PriceAgreementRules.checkSource(.jointProcurement) } == "source")
        #expect(error { try PriceAgreementRules.checkSource(.provincialBid) } == nil)
        #expect(error { try PriceAgreementRules.checkSource(.consortiumNegotiated) } == nil)
        #expect(field { try PriceAgreementRules.checkDrug("NOPE", known: false) } == "drugCode")
        #expect(error { try PriceAgreementRules.checkDrug("D1", known: true) } == nil)
    }

    @Test("a negotiated price: in the catalogue, under a provincial price in the same unit, not above it")
    func negotiated() {
        let price = Money(Decimal(18))
        #expect(
            error { try PriceAgreementRules.checkNegotiated("D1", price, .package, on: day, inCatalogue: true, ceiling: ceiling) }
                == nil)
        #expect(
            error {
                try PriceAgreementRules.checkNegotiated(
                    "D1", Money(Decimal(20)), .package, on: day, inCatalogue: true, ceiling: ceiling)
            } == nil)
        // The catalogue is asked first, then the ceiling.
        #expect(
            field { try PriceAgreementRules.checkNegotiated("D1", price, .package, on: day, inCatalogue: false, ceiling: nil) }
                == "drugCode")
        #expect(
            field { try PriceAgreementRules.checkNegotiated("D1", price, .package, on: day, inCatalogue: true, ceiling: nil) }
                == "drugCode")
        #expect(
            field { try PriceAgreementRules.checkNegotiated("D1", price, .unit, on: day, inCatalogue: true, ceiling: ceiling) }
                == "priceUnit")
        let above = error {
            try PriceAgreementRules.checkNegotiated(
                "D1", Money(Decimal(21)), .package, on: day, inCatalogue: true, ceiling: ceiling)
        }
        #expect(above?.fieldErrors.map(\.field) == ["unitPrice"])
        if case .unprocessable = above {} else { Issue.record("expected 422, got \(String(describing: above))") }
    }

    @Test("only an agreed negotiated price is reported")
    func report() {
        #expect(error { try PriceAgreementRules.checkReportable(agreement(.consortiumNegotiated, .agreed)) } == nil)
        for (source, status) in [
            (PriceSource.consortiumNegotiated, AgreementStatus.inEffect), (.provincialBid, .agreed),
            (.consortiumNegotiated, .superseded),
        ] {
            guard case .conflict = error({ try PriceAgreementRules.checkReportable(agreement(source, status)) }) else {
                Issue.record("\(source) \(status) should be refused with 409")
                continue
            }
        }
    }
}
