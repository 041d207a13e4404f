import Foundation
import Testing

@testable import RxDomain

/// Issue 18, points 6, 7, 10 and the herb parts of 13: the pure rules.
@Suite("Price status, report-date correction, provincial cap, round corrections")
struct PriceAndRoundCorrectionRulesTests {
    func day(_ text: String) -> BusinessDate { BusinessDate(text)! }
    func money(_ text: String) -> Money { Money(text)! }

    // MARK: 18.7

    @Test("18.7: an agreement's status is scheduled before its period, in_effect inside it, ended after it")
    func statusOnTheDayAsked() {
        let from = day("2026-12-01"), to = day("2027-01-01")  // [from, to): the last day is 2026-12-31
        func status(_ on: String, to: BusinessDate? = nil) -> PriceAgreementStatus {
            PriceTimeline.status(from: from, to: to, superseded: false, on: day(on))
        }
        #expect(status("2026-11-30", to: to) == .scheduled)
        #expect(status("2026-12-01", to: to) == .inEffect)
        #expect(status("2026-12-31", to: to) == .inEffect)
        #expect(status("2027-01-01", to: to) == .ended)
        #expect(status("2030-01-01") == .inEffect)  // open: never ends
        #expect(status("2026-11-30") == .scheduled)
        #expect(PriceTimeline.status(from: nil, to: nil, superseded: false, on: day("2026-12-01")) == .agreed)
        #expect(PriceTimeline.status(from: nil, to: nil, superseded: true, on: day("2026-12-01")) == .superseded)
    }

    @Test("18.10: taking a period out of the timeline lets the price before it run on to where it ended")
    func withdrawPeriod() {
        let periods = [
            PriceTimeline.Period(id: 1, from: day("2026-01-01"), to: day("2026-12-20")),
            PriceTimeline.Period(id: 2, from: day("2026-12-20"), to: day("2027-03-01")),
            PriceTimeline.Period(id: 3, from: day("2027-03-01"), to: nil),
        ]
        let reopened = PriceTimeline.withdraw(existing: periods, id: 2)
        #expect(reopened.map(\.id) == [1] && reopened.map(\.to) == [day("2027-03-01")])
        let last = PriceTimeline.withdraw(existing: periods, id: 3)
        #expect(last.map(\.id) == [2] && last.first?.to == nil)
        #expect(PriceTimeline.withdraw(existing: periods, id: 1).isEmpty)
    }

    // MARK: 18.10

    @Test("18.10: a report date is corrected only while the negotiated price is scheduled, with a reason and a possible date")
    func reportDateCorrection() throws {
        let today = day("2026-12-01")
        func agreement(
            _ status: PriceAgreementStatus, negotiated: Bool = true, requested: String = "2026-11-25",
            from: String? = "2026-12-13"
        )
            -> PriceReportCorrection.Agreement
        {
            .init(id: 7, negotiated: negotiated, status: status, requestedFrom: day(requested), effectiveFrom: from.map(day))
        }
        // A report typed as 2026-12-13 instead of 2026-11-30: in effect from today, never a day already past.
        #expect(
            try PriceReportCorrection.start(agreement(.scheduled), reportedOn: day("2026-11-30"), reason: "typo", today: today)
                == today)
        // A later requested date still holds.
        #expect(
            try PriceReportCorrection.start(
                agreement(.scheduled, requested: "2026-12-20", from: "2026-12-20"), reportedOn: day("2026-11-30"), reason: "typo",
                today: today)
                == day("2026-12-20"))

        func refusal(_ a: PriceReportCorrection.Agreement, _ reportedOn: String = "2026-11-30", reason: String? = "typo")
            -> DomainError?
        {
            do {
                _ = try PriceReportCorrection.start(a, reportedOn: day(reportedOn), reason: reason, today: today)
                return nil
            } catch { return error }
        }
        for status in [PriceAgreementStatus.inEffect, .ended] {
            guard case .conflict(let message) = refusal(agreement(status)) else {
                Issue.record("a price \(status) was corrected")
                continue
            }
            #expect(message.contains("in effect since 2026-12-13"))
        }
        guard case .conflict = refusal(agreement(.agreed, from: nil)) else {
            Issue.record("an unreported price was corrected"); return
        }
        guard case .conflict = refusal(agreement(.superseded, from: nil)) else {
            Issue.record("a superseded price was corrected"); return
        }
        guard case .conflict = refusal(agreement(.scheduled, negotiated: false)) else {
            Issue.record("a provincial price was corrected"); return
        }
        #expect(refusal(agreement(.scheduled), reason: nil)?.fieldErrors.first?.field == "reason")
        #expect(refusal(agreement(.scheduled), reason: " \n")?.fieldErrors.first?.field == "reason")
        #expect(refusal(agreement(.scheduled), "2026-12-02")?.fieldErrors.first?.field == "reportedOn")
        #expect(refusal(agreement(.scheduled), "1999-12-31")?.fieldErrors.first?.field == "reportedOn")
    }

    // MARK: 18.6

    @Test("18.6: a ceiling above a provincial price in effect during the round is refused naming both; the award ranks under it")
    func provincialCap() throws {
        let provincial = [
            HerbProcurementRules.ProvincialPrice(
                unitPrice: money("45.00"), reference: "JL-2025-GP-000455", from: day("2026-01-01"), to: day("2026-12-10")),
            HerbProcurementRules.ProvincialPrice(
                unitPrice: money("42.00"), reference: "JL-2026-GP-000900", from: day("2026-12-10"), to: nil),
        ]
        do {
            try HerbProcurementRules.checkCeiling(money("70"), provincial: Array(provincial.prefix(1)))
            Issue.record("a ceiling of 70 above the provincial 45 was taken")
        } catch {
            #expect(error.fieldErrors.first?.field == "ceilingPrice")
            #expect(error.message.contains("70.0000") && error.message.contains("45.0000"))
        }
        #expect(throws: DomainError.self) { try HerbProcurementRules.checkCeiling(money("44"), provincial: provincial) }
        try HerbProcurementRules.checkCeiling(money("42"), provincial: provincial)
        try HerbProcurementRules.checkCeiling(money("70"), provincial: [])  // no provincial price: the ceiling alone

        #expect(HerbProcurementRules.cap(ceiling: money("45"), provincial: provincial).price == money("42"))
        #expect(HerbProcurementRules.cap(ceiling: money("40"), provincial: provincial).provincial == nil)

        let bids = [
            HerbProcurementRules.Bid(id: 1, supplierCode: "A", unitPrice: money("43.00"), qualityScore: 90),
            HerbProcurementRules.Bid(id: 2, supplierCode: "B", unitPrice: money("41.50"), qualityScore: 80),
        ]
        let ranked = HerbProcurementRules.rank(
            bids, rule: .lowestPrice, marginPercent: 0, ceiling: money("45"), provincial: provincial)
        #expect(ranked.map(\.supplierCode) == ["B", "A"])
        #expect(ranked.map(\.winner) == [true, false])
        #expect(
            !ranked[1].qualified && ranked[1].reason.contains("provincial winning-bid price")
                && ranked[1].reason.contains("42.0000"))
        // Entering a bid: above the ceiling, or above the provincial price, each named for what it is.
        #expect(
            HerbProcurementRules.bidPriceProblem(money("45.01"), ceiling: money("45"), provincial: provincial)?.reason.contains(
                "ceiling") == true)
        #expect(
            HerbProcurementRules.bidPriceProblem(money("42.50"), ceiling: money("45"), provincial: provincial)?.reason.contains(
                "42.0000") == true)
        #expect(HerbProcurementRules.bidPriceProblem(money("42.00"), ceiling: money("45"), provincial: provincial) == nil)
        // Every bid above the provincial price: no winner, so no award price above it.
        let none = HerbProcurementRules.rank(
            Array(bids.prefix(1)), rule: .lowestPrice, marginPercent: 0, ceiling: money("45"), provincial: provincial)
        #expect(none.allSatisfy { !$0.winner })
    }

    // MARK: 18.13

    @Test("18.13: commitments change only while open, bids are withdrawn only while bidding, each with a reason")
    func correctionsByState() throws {
        for status in HerbRoundStatus.allCases {
            if status == .commitmentsOpen {
                try HerbProcurementRules.requireCommitmentsOpen(status, roundID: 3)
            } else {
                do {
                    try HerbProcurementRules.requireCommitmentsOpen(status, roundID: 3)
                    Issue.record("a commitment changed in a round \(status)")
                } catch {
                    guard case .conflict(let message) = error else { Issue.record("\(error)"); continue }
                    #expect(message.contains(status.rawValue))
                }
            }
            if status == .bidding {
                try HerbProcurementRules.requireBidding(status, roundID: 3)
            } else {
                do {
                    try HerbProcurementRules.requireBidding(status, roundID: 3)
                    Issue.record("a bid withdrawn in a round \(status)")
                } catch {
                    guard case .conflict(let message) = error else { Issue.record("\(error)"); continue }
                    #expect(message.contains(status.rawValue))
                }
            }
        }
        #expect(try HerbProcurementRules.correctionReason("  typed 3000 for 300 ") == "typed 3000 for 300")
        for reason in [nil, "", "   ", String(repeating: "理", count: 1001)] {
            #expect(throws: DomainError.self) { try HerbProcurementRules.correctionReason(reason) }
        }
    }
}
