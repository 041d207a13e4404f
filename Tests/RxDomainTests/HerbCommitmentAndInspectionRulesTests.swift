import Foundation
import Testing

@testable import RxDomain

@Suite("Herb round rules: commitments, decisions, inspections, suspensions (HerbRoundRules)")
struct HerbCommitmentAndInspectionRulesTests: RuleRefusals {
    let item = HerbRoundItem(
        id: 1, drugCode: "HQ", drugName: "黄芪", grade: "统货", qualityStandard: "m", ceilingPrice: Money(Decimal(80)))

    func round(_ status: HerbRoundStatus) -> HerbRound {
        HerbRound(
            id: 3, consortiumID: 1, name: "r", leadInstitutionCode: "YJ-TCMH",
            periodStart: BusinessDate(year: 2027, month: 1, day: 1),
            periodEnd: BusinessDate(year: 2027, month: 12, day: 31), priorYear: 2026, status: status, awardRule: .lowestPrice,
            marginPercent: 0, proposalPercent: 80, minimumPercent: 60, items: [item])
    }

    func commitment(_ status: HerbCommitmentStatus) -> HerbCommitment {
        HerbCommitment(
            id: 5, roundID: 3, itemID: 1, drugCode: "HQ", institutionCode: "M1", quantityKg: 10, priorUsageKg: 100,
            proposedKg: 80,
            status: status, reason: "减少用量")
    }

    @Test("a commitment: a member of the consortium, while open, to an item of the round")
    func committing() throws {
        #expect(try HerbRoundRules.checkMember(7, code: "M1") == 7)
        #expect(field { _ = try HerbRoundRules.checkMember(nil, code: "NOPE") } == "institutionCode")
        #expect(try HerbRoundRules.commitmentItem(of: round(.commitmentsOpen), drugCode: "HQ").id == 1)
        #expect(isConflict { _ = try HerbRoundRules.commitmentItem(of: round(.planning), drugCode: "HQ") })
        // The state is asked before the item.
        #expect(isConflict { _ = try HerbRoundRules.commitmentItem(of: round(.bidding), drugCode: "XX") })
        #expect(field { _ = try HerbRoundRules.commitmentItem(of: round(.commitmentsOpen), drugCode: "XX") } == "drugCode")
    }

    @Test("the quantity: the draft's, else a positive proposal from prior-year usage")
    func quantity() throws {
        let given = HerbCommitmentDraft(drugCode: "HQ", institutionCode: "M1", quantityKg: 12, reason: nil)
        let none = HerbCommitmentDraft(drugCode: "HQ", institutionCode: "M1", quantityKg: nil, reason: nil)
        #expect(try HerbRoundRules.commitmentQuantity(given, proposed: 80, priorYear: 2026, drugCode: "HQ") == 12)
        #expect(try HerbRoundRules.commitmentQuantity(none, proposed: 80, priorYear: 2026, drugCode: "HQ") == 80)
        #expect(
            field { _ = try HerbRoundRules.commitmentQuantity(none, proposed: nil, priorYear: 2026, drugCode: "HQ") }
                == "quantityKg")
        #expect(
            field { _ = try HerbRoundRules.commitmentQuantity(none, proposed: 0, priorYear: 2026, drugCode: "HQ") }
                == "quantityKg")
    }

    @Test("the lead decides a pending commitment while commitments are open")
    func deciding() {
        #expect(
            error { try HerbRoundRules.checkDecidable(commitment(.pending), roundID: 3, roundStatus: .commitmentsOpen) } == nil)
        #expect(isConflict { try HerbRoundRules.checkDecidable(commitment(.pending), roundID: 3, roundStatus: .bidding) })
        #expect(
            isConflict { try HerbRoundRules.checkDecidable(commitment(.accepted), roundID: 3, roundStatus: .commitmentsOpen) })
        #expect(
            isConflict { try HerbRoundRules.checkDecidable(commitment(.rejected), roundID: 3, roundStatus: .commitmentsOpen) })
    }

    @Test("an inspection: once awarded, an item of the round, an awarded supplier, limits on record")
    func inspecting() throws {
        #expect(try HerbRoundRules.inspectionItem(of: round(.awarded), drugCode: "HQ").id == 1)
        #expect(try HerbRoundRules.inspectionItem(of: round(.executing), drugCode: "HQ").id == 1)
        for status in [HerbRoundStatus.planning, .commitmentsOpen, .bidding, .closed] {
            #expect(isConflict { _ = try HerbRoundRules.inspectionItem(of: round(status), drugCode: "HQ") })
        }
        #expect(field { _ = try HerbRoundRules.inspectionItem(of: round(.awarded), drugCode: "XX") } == "drugCode")
        let winner = HerbRoundRules.LotSupplier(id: 4, awarded: true)
        #expect(try HerbRoundRules.checkLotSupplier(winner, code: "S", drugCode: "HQ", roundID: 3).id == 4)
        #expect(field { try HerbRoundRules.checkLotSupplier(nil, code: "S", drugCode: "HQ", roundID: 3) } == "supplierCode")
        #expect(
            field { try HerbRoundRules.checkLotSupplier(.init(id: 4, awarded: false), code: "S", drugCode: "HQ", roundID: 3) }
                == "supplierCode")
        #expect(try HerbRoundRules.qualityLimits([.moisturePct: 13], drugCode: "HQ") == [.moisturePct: 13])
        #expect(field { _ = try HerbRoundRules.qualityLimits(nil, drugCode: "HQ") } == "drugCode")
    }

    @Test("a suspension: before the round closes, with a reason")
    func suspending() {
        #expect(error { try HerbRoundRules.checkSuspension(round(.bidding), reason: "抽检不合格") } == nil)
        #expect(isConflict { try HerbRoundRules.checkSuspension(round(.closed), reason: "抽检不合格") })
        #expect(field { try HerbRoundRules.checkSuspension(round(.executing), reason: "  ") } == "reason")
    }
}
