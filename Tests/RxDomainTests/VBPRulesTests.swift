import Foundation
import Testing

@testable import RxDomain

@Suite("Volume-based procurement agreements and retained savings (国家集采, 结余留用; issue 24)")
struct VBPRulesTests: RuleRefusals {
    static func d(_ text: String) -> Decimal { Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))! }
    static func m(_ text: String) -> Money { Money(text)! }

    /// RULES.md's grades and shares (A ≥ 80: 50 %, B ≥ 70: 40 %, C ≥ 60: 30 %, D: 0); a payment ratio of 70 % and an
    /// insured share of 90 % (the seeded defaults), so the insured factor is 0.63.
    static let settings = RetainedSavingsSettings(
        fundPaymentRatioPercent: 70, insuredSharePercent: 90, gradeAMinScore: 80, gradeBMinScore: 70, gradeCMinScore: 60,
        retainedPercentA: 50, retainedPercentB: 40, retainedPercentC: 30, retainedPercentD: 0)

    struct Example: Sendable, CustomTestStringConvertible {
        var name: String
        var agreed: String
        var purchased: String
        var prePrice: String
        var winningPrice: String
        var score: String?
        var budget: String
        var actual: String
        var base: String
        var grade: AssessmentGrade?
        var retained: String?
        var testDescription: String { name }
    }

    /// Worked by hand: budget = agreed × pre-price × 0.63; actual = min(purchased, agreed) × winning price × 0.63.
    static let examples: [Example] = [
        .init(
            name: "grade A (85)", agreed: "10000", purchased: "9000", prePrice: "2.00", winningPrice: "0.50", score: "85",
            budget: "12600.00", actual: "2835.00", base: "9765.00", grade: .a, retained: "4882.50"),
        .init(
            name: "on A's boundary (80) is A", agreed: "10000", purchased: "9000", prePrice: "2.00", winningPrice: "0.50",
            score: "80", budget: "12600.00", actual: "2835.00", base: "9765.00", grade: .a, retained: "4882.50"),
        .init(
            name: "just below A (79.99) is B", agreed: "10000", purchased: "9000", prePrice: "2.00", winningPrice: "0.50",
            score: "79.99", budget: "12600.00", actual: "2835.00", base: "9765.00", grade: .b, retained: "3906.00"),
        .init(
            name: "on B's boundary (70) is B", agreed: "10000", purchased: "9000", prePrice: "2.00", winningPrice: "0.50",
            score: "70", budget: "12600.00", actual: "2835.00", base: "9765.00", grade: .b, retained: "3906.00"),
        .init(
            name: "on C's boundary (60) is C", agreed: "10000", purchased: "9000", prePrice: "2.00", winningPrice: "0.50",
            score: "60", budget: "12600.00", actual: "2835.00", base: "9765.00", grade: .c, retained: "2929.50"),
        .init(
            name: "below 60 is D, nothing retained", agreed: "10000", purchased: "9000", prePrice: "2.00",
            winningPrice: "0.50", score: "59.9", budget: "12600.00", actual: "2835.00", base: "9765.00", grade: .d,
            retained: "0.00"),
        .init(
            name: "over-volume excluded: 15000 bought, 10000 counted", agreed: "10000", purchased: "15000",
            prePrice: "2.00", winningPrice: "0.50", score: "85", budget: "12600.00", actual: "3150.00", base: "9450.00",
            grade: .a, retained: "4725.00"),
        .init(
            name: "actual above budget gives zero", agreed: "10000", purchased: "10000", prePrice: "0.40",
            winningPrice: "0.50", score: "90", budget: "2520.00", actual: "3150.00", base: "0", grade: .a,
            retained: "0.00"),
        .init(
            name: "nothing bought: the whole budget is the base (1,049.9895 to the fen)", agreed: "500", purchased: "0",
            prePrice: "3.3333",
            winningPrice: "1.2", score: "75", budget: "1049.99", actual: "0.00", base: "1049.99", grade: .b,
            retained: "420.00"),
        .init(
            name: "not assessed yet: the base, no grade, nothing retained yet", agreed: "10000", purchased: "9000",
            prePrice: "2.00", winningPrice: "0.50", score: nil, budget: "12600.00", actual: "2835.00", base: "9765.00",
            grade: nil, retained: nil),
    ]

    @Test("retained savings, worked examples", arguments: examples)
    func retainedSavings(_ e: Example) throws {
        let s = RetainedSavingsRules.savings(
            institutionCode: "M1", genericName: "阿托伐他汀钙片", agreedVolume: Self.d(e.agreed),
            purchasedVolume: Self.d(e.purchased), preProcurementAveragePrice: Self.m(e.prePrice),
            winningPrice: Self.m(e.winningPrice), score: e.score.map(Self.d), settings: Self.settings)
        #expect(s.budget.amount == Self.d(e.budget))
        #expect(s.actual.amount == Self.d(e.actual))
        #expect(s.savingsBase.amount == Self.d(e.base))
        #expect(s.grade == e.grade)
        #expect(s.retained?.amount == e.retained.map(Self.d))
        #expect(s.countedVolume == min(Self.d(e.purchased), Self.d(e.agreed)))
        #expect(s.settings == Self.settings && s.agreedVolume == Self.d(e.agreed), "the inputs travel with the result")
    }

    @Test("settings that cannot make a formula are the operator's (503)")
    func settingsChecked() throws {
        try Self.settings.check()
        var wrong = Self.settings
        wrong.insuredSharePercent = 120
        #expect(error { try wrong.check() }.map { if case .unavailable = $0 { true } else { false } } == true)
        wrong = Self.settings
        wrong.gradeBMinScore = 85
        #expect(error { try wrong.check() } != nil)
    }

    @Test("an agreement: batch, one agreement year, generic names with their winning products; every fault named")
    func agreement() throws {
        let start = BusinessDate("2026-03-01")!
        let drugs = ["ATOR": VBPRules.ProductFacts(genericName: "阿托伐他汀钙片"), "AML": .init(genericName: "氨氯地平片")]
        let good = [
            VBPGeneric(
                genericName: "阿托伐他汀钙片", preProcurementAveragePrice: Self.m("2.10"),
                products: [.init(drugCode: "ATOR", winningPrice: Self.m("0.12"))])
        ]
        try VBPRules.checkAgreement(
            batch: "第十一批", periodStart: start, periodEnd: start.adding(days: 364), generics: good, drugs: drugs)
        #expect(
            field {
                try VBPRules.checkAgreement(
                    batch: " ", periodStart: start, periodEnd: start.adding(days: 364), generics: good, drugs: drugs)
            } == "batch")
        #expect(
            field {
                try VBPRules.checkAgreement(
                    batch: "第十一批", periodStart: start, periodEnd: start.adding(days: -1), generics: good, drugs: drugs)
            } == "periodEnd")
        #expect(
            field {
                try VBPRules.checkAgreement(
                    batch: "第十一批", periodStart: start, periodEnd: start.adding(days: 366), generics: good, drugs: drugs)
            } == "periodEnd")
        let bad = [
            VBPGeneric(
                genericName: "阿托伐他汀钙片", preProcurementAveragePrice: Self.m("0"),
                products: [
                    .init(drugCode: "AML", winningPrice: Self.m("0.12")), .init(drugCode: "NOPE", winningPrice: Self.m("0")),
                ]),
            VBPGeneric(genericName: "阿托伐他汀钙片", preProcurementAveragePrice: Self.m("1"), products: []),
        ]
        #expect(
            fields {
                try VBPRules.checkAgreement(
                    batch: "第十一批", periodStart: start, periodEnd: start.adding(days: 364), generics: bad, drugs: drugs)
            } == [
                "generics[0].preProcurementAveragePrice", "generics[0].products[0].drugCode",
                "generics[0].products[1].winningPrice", "generics[0].products[1].drugCode", "generics[1].genericName",
                "generics[1].products",
            ])
    }

    @Test("the proposal is 80 % of prior-year usage in whole units; a typed volume is positive and whole")
    func proposal() throws {
        #expect(VBPRules.proposal(priorUsage: 12_345, proposalPercent: 80) == 9_876)
        #expect(VBPRules.proposal(priorUsage: 0, proposalPercent: 80) == 0)
        try VBPRules.checkVolume(9_876, field: "volume")
        #expect(field { try VBPRules.checkVolume(0, field: "volume") } == "volume")
        #expect(field { try VBPRules.checkVolume(Self.d("10.5"), field: "volumes[2].volume") } == "volumes[2].volume")
    }

    @Test("completion against hand-computed figures: share, pace over the days elapsed, over-volume, non-winning")
    func completion() {
        let start = BusinessDate("2026-01-01")!
        let end = BusinessDate("2026-12-31")!  // 365 days
        // Day 73 of 365 (a fifth): 2,000 of 10,000 expected; 1,500 received is behind.
        let behind = VBPRules.completion(
            institutionCode: "M1", genericName: "g", agreed: 10_000, received: 1_500, nonWinning: 30, start: start,
            end: end, on: start.adding(days: 72))
        #expect(behind.expected == 2_000 && behind.behindPace && behind.share == Self.d("0.15"))
        #expect(behind.overVolume == 0 && behind.nonWinning == 30 && behind.elapsedDays == 73 && behind.periodDays == 365)
        let ahead = VBPRules.completion(
            institutionCode: "M1", genericName: "g", agreed: 10_000, received: 2_000, nonWinning: 0, start: start, end: end,
            on: start.adding(days: 72))
        #expect(!ahead.behindPace)
        let over = VBPRules.completion(
            institutionCode: "M1", genericName: "g", agreed: 10_000, received: 12_500, nonWinning: 0, start: start,
            end: end, on: end.adding(days: 10))
        #expect(over.share == Self.d("1.25") && over.overVolume == 2_500 && over.expected == 10_000 && !over.behindPace)
    }
}
