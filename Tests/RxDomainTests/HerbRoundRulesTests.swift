import Foundation
import Testing

@testable import RxDomain

@Suite("Herb round rules: draft, lead, items, moves and bids (HerbRoundRules)")
struct HerbRoundRulesTests: RuleRefusals {
    let start = BusinessDate(year: 2027, month: 1, day: 1)
    let end = BusinessDate(year: 2027, month: 12, day: 31)

    func draft(name: String = "2027 黄芪", end: BusinessDate? = nil, rule: HerbAwardRule = .lowestPrice, margin: Decimal? = nil)
        -> HerbRoundDraft
    {
        HerbRoundDraft(
            name: name, leadInstitutionCode: "YJ-TCMH", periodStart: start, periodEnd: end ?? self.end, awardRule: rule,
            marginPercent: margin, proposalPercent: nil, minimumPercent: nil, priorYear: nil)
    }

    @Test("a draft names itself, ends after it starts, and a margin rule has a margin of 0-100")
    func draftFields() {
        #expect(field { try HerbRoundRules.checkDraft(draft()) } == nil)
        #expect(field { try HerbRoundRules.checkDraft(draft(name: "  ")) } == "name")
        #expect(field { try HerbRoundRules.checkDraft(draft(end: BusinessDate(year: 2026, month: 12, day: 31))) } == "periodEnd")
        #expect(field { try HerbRoundRules.checkDraft(draft(rule: .multipleWithinMargin)) } == "marginPercent")
        #expect(field { try HerbRoundRules.checkDraft(draft(rule: .multipleWithinMargin, margin: 101)) } == "marginPercent")
        #expect(field { try HerbRoundRules.checkDraft(draft(rule: .multipleWithinMargin, margin: 5)) } == nil)
    }

    @Test("the lead is a TCM hospital of the consortium with a testing lab")
    func lead() throws {
        let tcm = HerbRoundRules.Lead(id: 7, type: .tcm, hasTestingLab: true)
        #expect(try HerbRoundRules.checkLead(tcm, code: "YJ-TCMH", consortiumCode: "JLTCM").id == 7)
        #expect(field { try HerbRoundRules.checkLead(nil, code: "NOPE", consortiumCode: "JLTCM") } == "leadInstitutionCode")
        #expect(
            field {
                try HerbRoundRules.checkLead(
                    .init(id: 1, type: .general, hasTestingLab: true), code: "G", consortiumCode: "JLTCM")
            } == "leadInstitutionCode")
        #expect(
            field {
                try HerbRoundRules.checkLead(
                    .init(id: 1, type: .integratedTCMWestern, hasTestingLab: false), code: "I", consortiumCode: "JLTCM")
            } == "leadInstitutionCode")
    }

    @Test("the proposal percent is in (0, 100]; the minimum in [0, proposal]")
    func percents() {
        #expect(field { try HerbRoundRules.checkCommitmentPercents(proposal: 80, minimum: 60) } == nil)
        #expect(field { try HerbRoundRules.checkCommitmentPercents(proposal: 0, minimum: 0) } == "proposalPercent")
        #expect(field { try HerbRoundRules.checkCommitmentPercents(proposal: 101, minimum: 60) } == "proposalPercent")
        #expect(field { try HerbRoundRules.checkCommitmentPercents(proposal: 80, minimum: 81) } == "minimumPercent")
        #expect(field { try HerbRoundRules.checkCommitmentPercents(proposal: 80, minimum: -1) } == "minimumPercent")
    }

    @Test("items: only while planning, only decoction pieces in kg, with a quality standard (the monograph by default)")
    func items() throws {
        let item = HerbItemDraft(drugCode: "HQ", grade: nil, qualityStandard: nil, ceilingPrice: Money(Decimal(80)))
        let piece = HerbRoundRules.Piece(category: DrugCategory.decoctionPiece.rawValue, unit: "kg", grade: "统货")
        let taken = try HerbRoundRules.checkItem(item, roundID: 1, status: .planning, piece: piece, monograph: "中国药典 黄芪")
        #expect(taken.grade == "统货" && taken.qualityStandard == "中国药典 黄芪")
        #expect(throws: DomainError.self) {
            try HerbRoundRules.checkItem(item, roundID: 1, status: .bidding, piece: piece, monograph: "m")
        }
        #expect(
            field { _ = try HerbRoundRules.checkItem(item, roundID: 1, status: .planning, piece: nil, monograph: nil) }
                == "drugCode")
        let tablet = HerbRoundRules.Piece(category: "western", unit: "tablet", grade: nil)
        #expect(
            field { _ = try HerbRoundRules.checkItem(item, roundID: 1, status: .planning, piece: tablet, monograph: nil) }
                == "drugCode")
        let inGrams = HerbRoundRules.Piece(category: DrugCategory.decoctionPiece.rawValue, unit: "g", grade: "统货")
        #expect(
            field { _ = try HerbRoundRules.checkItem(item, roundID: 1, status: .planning, piece: inGrams, monograph: nil) }
                == "drugCode")
        #expect(
            field { _ = try HerbRoundRules.checkItem(item, roundID: 1, status: .planning, piece: piece, monograph: nil) }
                == "qualityStandard")
    }

    @Test("commitments open on a round with items; bidding once no commitment below the minimum is pending")
    func moves() {
        let round = HerbRound(
            id: 3, consortiumID: 1, name: "r", leadInstitutionCode: "YJ-TCMH", periodStart: start, periodEnd: end,
            priorYear: 2026,
            status: .planning, awardRule: .lowestPrice, marginPercent: 0, proposalPercent: 80, minimumPercent: 60, items: [])
        #expect(throws: DomainError.self) { try HerbRoundRules.checkOpenCommitments(round) }
        #expect(throws: DomainError.self) { try HerbRoundRules.checkOpenBidding(pendingCommitments: 2) }
        #expect(throws: Never.self) { try HerbRoundRules.checkOpenBidding(pendingCommitments: 0) }
        #expect(field { _ = try HerbRoundRules.item(of: round, drugCode: "HQ") } == "drugCode")
    }

    @Test("bids: a manufacturer of pieces not suspended; price, grade, score and origin are all named at once")
    func bids() throws {
        #expect(field { try HerbRoundRules.checkBidder(nil, code: "S", roundID: 1) } == "supplierCode")
        #expect(
            field {
                try HerbRoundRules.checkBidder(.init(id: 1, makesDecoctionPieces: false, suspended: false), code: "S", roundID: 1)
            } == "supplierCode")
        #expect(
            field {
                try HerbRoundRules.checkBidder(.init(id: 1, makesDecoctionPieces: true, suspended: true), code: "S", roundID: 1)
            } == "supplierCode")
        #expect(
            try HerbRoundRules.checkBidder(.init(id: 9, makesDecoctionPieces: true, suspended: false), code: "S", roundID: 1).id
                == 9)

        let item = HerbRoundItem(
            id: 1, drugCode: "HQ", drugName: "黄芪", grade: "统货", qualityStandard: "m", ceilingPrice: Money(Decimal(80)))
        let good = HerbBidDraft(
            drugCode: "HQ", supplierCode: "S", unitPrice: Money(Decimal(75)), grade: "统货", origin: "甘肃", qualityScore: 90,
            qualityReference: "r")
        #expect(throws: Never.self) { try HerbRoundRules.checkBid(good, item: item, provincial: []) }
        var bad = good
        bad.unitPrice = Money(Decimal(81))
        bad.grade = "选货"
        bad.qualityScore = 101
        bad.origin = " "
        #expect(
            Set(fields { try HerbRoundRules.checkBid(bad, item: item, provincial: []) }) == [
                "unitPrice", "grade", "qualityScore", "origin",
            ])
    }

    @Test("a bid is withdrawn once, with a reason")
    func withdrawal() throws {
        var bid = HerbBid(
            id: 4, itemID: 1, drugCode: "HQ", supplierCode: "S", unitPrice: Money(Decimal(75)), grade: "统货", origin: "甘肃",
            qualityScore: 90, qualityReference: "r")
        #expect(try HerbRoundRules.checkWithdrawal(bid, reason: "typo in the price") == "typo in the price")
        #expect(throws: DomainError.self) { try HerbRoundRules.checkWithdrawal(bid, reason: nil) }
        bid.withdrawalReason = "earlier"
        #expect(throws: DomainError.self) { try HerbRoundRules.checkWithdrawal(bid, reason: "again") }
    }
}
