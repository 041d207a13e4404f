import Foundation
import Testing

@testable import RxDomain

@Suite("Herb procurement rules")
struct HerbProcurementRulesTests {
    func d(_ text: String) -> Decimal { Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))! }

    @Test("rounds move planning → commitments_open → bidding → awarded → executing → closed; every other move is 409")
    func moves() throws {
        let path: [(HerbRoundStatus, HerbRoundAction, HerbRoundStatus)] = [
            (.planning, .openCommitments, .commitmentsOpen), (.commitmentsOpen, .openBidding, .bidding),
            (.bidding, .award, .awarded), (.awarded, .execute, .executing), (.executing, .close, .closed),
        ]
        for (from, action, to) in path { #expect(try HerbProcurementRules.next(from, action) == to) }
        for status in HerbRoundStatus.allCases {
            for action in HerbRoundAction.allCases where !path.contains(where: { $0.0 == status && $0.1 == action }) {
                #expect(throws: DomainError.self) { try HerbProcurementRules.next(status, action) }
            }
        }
    }

    @Test("the proposal is 80% of prior-year usage; below 60% needs a reason and is pending")
    func proposalAndMinimum() throws {
        #expect(HerbProcurementRules.proposal(priorUsage: 420, proposalPercent: 80) == 336)
        #expect(HerbProcurementRules.proposal(priorUsage: d("60.5"), proposalPercent: 80) == d("48.4"))
        #expect(HerbProcurementRules.minimum(priorUsage: 420, minimumPercent: 60) == 252)
        #expect(
            try HerbProcurementRules.commitmentStatus(quantity: 252, priorUsage: 420, minimumPercent: 60, reason: nil)
                == .accepted)
        #expect(
            try HerbProcurementRules.commitmentStatus(quantity: 500, priorUsage: 420, minimumPercent: 60, reason: nil)
                == .accepted)
        do {
            _ = try HerbProcurementRules.commitmentStatus(
                quantity: d("251.999"), priorUsage: 420, minimumPercent: 60, reason: nil)
            Issue.record("a commitment below the minimum without a reason was taken")
        } catch {
            #expect(error.fieldErrors.first?.field == "quantityKg")
        }
        #expect(
            try HerbProcurementRules.commitmentStatus(
                quantity: 100, priorUsage: 420, minimumPercent: 60, reason: "ward closed for renovation") == .pending)
        #expect(throws: DomainError.self) {
            try HerbProcurementRules.commitmentStatus(quantity: 100, priorUsage: 420, minimumPercent: 60, reason: "  ")
        }
        // No prior usage: any positive quantity counts.
        #expect(
            try HerbProcurementRules.commitmentStatus(quantity: 5, priorUsage: nil, minimumPercent: 60, reason: nil) == .accepted)
    }

    @Test(
        "lowest price wins; a tie goes to the higher quality score, then to the earlier bid; above the ceiling or suspended does not qualify"
    )
    func lowestPrice() {
        typealias Bid = HerbProcurementRules.Bid
        let ceiling = Money(100)
        let bids = [
            Bid(id: 1, supplierCode: "A", unitPrice: Money(80), qualityScore: 90),
            Bid(id: 2, supplierCode: "B", unitPrice: Money(75), qualityScore: 85),
            Bid(id: 3, supplierCode: "C", unitPrice: Money(75), qualityScore: 92),
            Bid(id: 4, supplierCode: "D", unitPrice: Money(60), qualityScore: 99, suspended: true),
            Bid(id: 5, supplierCode: "E", unitPrice: Money(101), qualityScore: 99),
        ]
        let ranked = HerbProcurementRules.rank(bids, rule: .lowestPrice, marginPercent: 0, ceiling: ceiling)
        #expect(ranked.map(\.supplierCode) == ["C", "B", "A", "D", "E"])
        #expect(ranked.map(\.rank) == [1, 2, 3, 4, 5])
        #expect(ranked.filter(\.winner).map(\.supplierCode) == ["C"])
        #expect(ranked[0].share == 1)
        #expect(ranked[0].reason.contains("quality"))
        #expect(ranked[1].reason.contains("lower quality"))
        #expect(!ranked[3].qualified && ranked[3].reason.contains("suspended"))
        #expect(!ranked[4].qualified && ranked[4].reason.contains("ceiling"))

        let tied = HerbProcurementRules.rank(
            [
                Bid(id: 7, supplierCode: "L", unitPrice: Money(70), qualityScore: 90),
                Bid(id: 6, supplierCode: "E", unitPrice: Money(70), qualityScore: 90),
            ],
            rule: .lowestPrice, marginPercent: 0, ceiling: ceiling)
        #expect(tied.map(\.supplierCode) == ["E", "L"])
        #expect(tied[1].reason.contains("later"))
    }

    @Test("several winners within the margin share the volume equally")
    func multipleWithinMargin() {
        typealias Bid = HerbProcurementRules.Bid
        let bids = [
            Bid(id: 1, supplierCode: "A", unitPrice: Money(100), qualityScore: 80),
            Bid(id: 2, supplierCode: "B", unitPrice: Money(105), qualityScore: 80),
            Bid(id: 3, supplierCode: "C", unitPrice: Money(110), qualityScore: 80),
            Bid(id: 4, supplierCode: "D", unitPrice: Money(Decimal(string: "110.01")!), qualityScore: 80),
        ]
        let ranked = HerbProcurementRules.rank(bids, rule: .multipleWithinMargin, marginPercent: 10, ceiling: Money(200))
        #expect(ranked.filter(\.winner).map(\.supplierCode) == ["A", "B", "C"])
        #expect(ranked.map(\.share).reduce(0, +) == 1)
        #expect(ranked[1].share == Decimal(string: "0.3333")!)
        #expect(ranked[0].share == Decimal(string: "0.3334")!)
        #expect(!ranked[3].winner && ranked[3].reason.contains("more than 10"))
    }

    @Test("a lot passes only within every limit it is measured against; a limited measure must be measured")
    func quality() throws {
        let limits: [HerbQualityMeasure: Decimal] = [
            .moisturePct: 10, .totalAshPct: 5, .sulfurDioxideMgPerKg: 150, .leadMgPerKg: 5,
        ]
        let good: [HerbQualityMeasure: Decimal] = [.moisturePct: 9, .totalAshPct: 5, .sulfurDioxideMgPerKg: 20, .leadMgPerKg: 1]
        #expect(try HerbProcurementRules.inspect(identificationPassed: true, measured: good, limits: limits).result == .passed)
        for measure in limits.keys {
            var bad = good
            bad[measure] = limits[measure]! + Decimal(string: "0.1")!
            let verdict = try HerbProcurementRules.inspect(identificationPassed: true, measured: bad, limits: limits)
            #expect(verdict.result == .rejected)
            #expect(verdict.failures.count == 1 && verdict.failures[0].contains(measure.rawValue))
        }
        let unidentified = try HerbProcurementRules.inspect(identificationPassed: false, measured: good, limits: limits)
        #expect(unidentified.result == .rejected && unidentified.failures[0].contains("identification"))
        var missing = good
        missing[.leadMgPerKg] = nil
        #expect(throws: DomainError.self) {
            try HerbProcurementRules.inspect(identificationPassed: true, measured: missing, limits: limits)
        }
        // A measure without a limit is recorded, never judged.
        var extra = good
        extra[.aflatoxinB1UgPerKg] = 999
        #expect(try HerbProcurementRules.inspect(identificationPassed: true, measured: extra, limits: limits).result == .passed)
    }

    @Test("pace: expected = committed × elapsed days ÷ period days; behind when bought is less")
    func pace() {
        let start = BusinessDate("2026-01-01")!
        let end = BusinessDate("2026-04-10")!  // 100 days
        let half = HerbProcurementRules.pace(committed: 200, bought: 60, start: start, end: end, on: start.adding(days: 49))
        #expect(half.periodDays == 100 && half.elapsedDays == 50)
        #expect(half.expected == 100)
        #expect(half.completionRate == Decimal(string: "0.3")!)
        #expect(half.behind)
        #expect(half.overCommitment == 0)
        let over = HerbProcurementRules.pace(committed: 200, bought: 250, start: start, end: end, on: end.adding(days: 30))
        #expect(over.elapsedDays == 100 && over.expected == 200 && !over.behind && over.overCommitment == 50)
        #expect(over.completionRate == Decimal(string: "1.25")!)
        let before = HerbProcurementRules.pace(committed: 200, bought: 0, start: start, end: end, on: start.adding(days: -5))
        #expect(before.elapsedDays == 0 && before.expected == 0 && !before.behind)
        #expect(HerbProcurementRules.pace(committed: 0, bought: 3, start: start, end: end, on: start).completionRate == nil)
    }

    func principal(_ role: Role, institution: Int64? = nil, code: String? = nil) -> Principal {
        Principal(
            tokenID: 1, role: role, consortiumID: 1, consortiumCode: "C1", institutionID: institution,
            institutionCode: code, name: "t")
    }

    @Test(
        "a round is run by the admin or the lead's procurement officer; the lead's pharmacist may also inspect; members commit for themselves"
    )
    func roles() {
        let run = Permission.runHerbRound(consortiumID: 1, roundLeadCode: "LEAD")
        let inspect = Permission.inspectHerbBatch(consortiumID: 1, roundLeadCode: "LEAD")
        #expect(principal(.consortiumAdmin).may(run))
        #expect(principal(.procurementOfficer, institution: 1, code: "LEAD").may(run))
        #expect(!principal(.procurementOfficer, institution: 2, code: "MEMBER").may(run))
        #expect(!principal(.institutionPharmacist, institution: 1, code: "LEAD").may(run))
        #expect(principal(.institutionPharmacist, institution: 1, code: "LEAD").may(inspect))
        #expect(!principal(.institutionPharmacist, institution: 2, code: "MEMBER").may(inspect))
        #expect(
            !Principal(
                tokenID: 1, role: .consortiumAdmin, consortiumID: 2, consortiumCode: "C2", institutionID: nil,
                institutionCode: nil, name: "t"
            ).may(run))
        let commit = Permission.commitHerbVolume(consortiumID: 1, institutionID: 2)
        #expect(principal(.procurementOfficer, institution: 2, code: "MEMBER").may(commit))
        #expect(principal(.institutionPharmacist, institution: 2, code: "MEMBER").may(commit))
        #expect(!principal(.procurementOfficer, institution: 3, code: "OTHER").may(commit))
        #expect(!principal(.consortiumAdmin).may(commit))
        #expect(!principal(.prescriber, institution: 2, code: "MEMBER").may(commit))
        let read = Permission.readHerbCommitments(consortiumID: 1, institutionID: 2, roundLeadCode: "LEAD")
        #expect(principal(.auditor).may(read) && principal(.regulator).may(read) && principal(.consortiumAdmin).may(read))
        #expect(principal(.prescriber, institution: 2, code: "MEMBER").may(read))
        #expect(!principal(.procurementOfficer, institution: 3, code: "OTHER").may(read))
    }
}
