import Foundation
import Testing

@testable import RxDomain

/// The long-prescription decision over cases taken from RULES.md and the policy documents.
@Suite("Long-prescription rules")
struct LongPrescriptionRulesTests {
    static let today = BusinessDate("2026-11-23")!
    static let national = LongPrescriptionRules.National(maxDays: 84, standardDays: 28)
    static let rules = LongPrescriptionRuleSet(
        effectiveFrom: BusinessDate("2026-01-01")!,
        conditions: [
            QualifyingCondition(icdFrom: "I10", icdTo: "I15", name: "高血压", maxDays: 60),
            QualifyingCondition(icdFrom: "E10", icdTo: "E14", name: "糖尿病", maxDays: 60),
            QualifyingCondition(icdFrom: "A15", icdTo: "A19", name: "结核病", maxDays: 28, allowsAntimicrobials: true),
        ],
        maxDaysByLevel: [.tertiary: 60, .secondary: 60, .primary: 60, .village: 28],
        requiresFamilyDoctorContract: true, maxAssessmentAgeDays: 90, supplyOnHandToleranceDays: 7, excludedDrugs: ["X-EXCLUDED"])

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var drug = Drug(
            code: "X-AMLO", genericName: "氨氯地平", dosageForm: "片剂", packageSize: 28, packageUnit: "盒", unit: "片",
            atcCode: "C08CA01", category: .western, essentialEditions: ["2018"], insuranceClass: .a)
        var icd = "I10"
        var stable = true
        var assessedDaysAgo: Int? = 10
        var contract = true
        var adherence = true
        var title = PrescriberTitle.intermediate
        var level = InstitutionLevel.primary
        var days = 28
        var confirmed = false
        var inCatalogue = true
        var isFirst = true
        var onHandDays: Int? = nil
        var rules = LongPrescriptionRulesTests.rules
        // expected
        var eligible = true
        var maxDays: Int
        var codes: Set<String> = []

        var testDescription: String { name }
    }

    static func drug(_ change: (inout Drug) -> Void) -> Drug {
        var d = Case(name: "", maxDays: 0).drug
        change(&d)
        return d
    }

    static let cases: [Case] = [
        Case(name: "four weeks for a stable signed hypertensive", maxDays: 28),
        Case(
            name: "eight weeks with the assessment recorded and the patient's confirmation", days: 56, confirmed: true,
            maxDays: 60),
        Case(
            name: "eight weeks without confirmation is shortened to four", days: 56, maxDays: 28,
            codes: ["NEEDS_PATIENT_CONFIRMATION", "EXCEEDS_MAX_DAYS"]),
        Case(
            name: "twelve weeks asked, the consortium's two months allowed", days: 84, confirmed: true, maxDays: 60,
            codes: ["EXCEEDS_MAX_DAYS"]),
        Case(
            name: "narcotic", drug: drug { $0.controlClass = .narcotic }, eligible: false, maxDays: 0, codes: ["CONTROLLED_DRUG"]),
        Case(
            name: "psychotropic I", drug: drug { $0.controlClass = .psychotropicI }, eligible: false, maxDays: 0,
            codes: ["CONTROLLED_DRUG"]),
        Case(
            name: "psychotropic II", drug: drug { $0.controlClass = .psychotropicII }, eligible: false, maxDays: 0,
            codes: ["CONTROLLED_DRUG"]),
        Case(
            name: "medical toxic", drug: drug { $0.controlClass = .medicalToxic }, eligible: false, maxDays: 0,
            codes: ["CONTROLLED_DRUG"]),
        Case(
            name: "radioactive", drug: drug { $0.controlClass = .radioactive }, eligible: false, maxDays: 0,
            codes: ["CONTROLLED_DRUG"]),
        Case(
            name: "precursor chemical", drug: drug { $0.controlClass = .precursorChemical }, eligible: false, maxDays: 0,
            codes: ["CONTROLLED_DRUG"]),
        Case(
            name: "antimicrobial for hypertension", drug: drug { $0.antimicrobial = true }, eligible: false, maxDays: 0,
            codes: ["ANTIMICROBIAL"]),
        Case(
            name: "antimicrobial for tuberculosis is allowed", drug: drug { $0.antimicrobial = true }, icd: "A15.0", maxDays: 28),
        Case(
            name: "special storage", drug: drug { $0.coldChain = true }, eligible: false, maxDays: 0, codes: ["SPECIAL_STORAGE"]),
        Case(
            name: "excluded by the consortium", drug: drug { $0.code = "X-EXCLUDED" }, eligible: false, maxDays: 0,
            codes: ["EXCLUDED_BY_RULE"]),
        Case(
            name: "outside the institution's catalogue", inCatalogue: false, eligible: false, maxDays: 0,
            codes: ["NOT_IN_CATALOGUE"]),
        Case(
            name: "asthma is not a listed condition", icd: "J45", eligible: false, maxDays: 0, codes: ["CONDITION_NOT_ELIGIBLE"]),
        Case(name: "the upper bound covers its subcodes (I15.9)", icd: "I15.9", maxDays: 28),
        Case(name: "just past the range (I16)", icd: "I16", eligible: false, maxDays: 0, codes: ["CONDITION_NOT_ELIGIBLE"]),
        Case(name: "diabetes subcode (E11.9)", icd: "E11.9", maxDays: 28),
        Case(name: "not stable", stable: false, eligible: false, maxDays: 0, codes: ["NOT_STABLE"]),
        Case(name: "poor adherence", adherence: false, eligible: false, maxDays: 0, codes: ["POOR_ADHERENCE"]),
        Case(name: "assessed 90 days ago is recent enough", assessedDaysAgo: 90, maxDays: 28),
        Case(
            name: "assessed 91 days ago is too old", assessedDaysAgo: 91, eligible: false, maxDays: 0,
            codes: ["ASSESSMENT_TOO_OLD"]),
        Case(name: "never assessed", assessedDaysAgo: nil, eligible: false, maxDays: 0, codes: ["ASSESSMENT_TOO_OLD"]),
        Case(
            name: "no family-doctor contract", contract: false, eligible: false, maxDays: 0, codes: ["NO_FAMILY_DOCTOR_CONTRACT"]),
        Case(
            name: "a junior physician cannot start one", title: .junior, eligible: false, maxDays: 0,
            codes: ["PRESCRIBER_NOT_QUALIFIED"]),
        Case(name: "a junior physician may repeat one", title: .junior, isFirst: false, maxDays: 28),
        Case(
            name: "a village clinic cannot start one", level: .village, eligible: false, maxDays: 0,
            codes: ["PRESCRIBER_NOT_QUALIFIED"]),
        Case(
            name: "a village clinic repeats at most four weeks", level: .village, days: 56, confirmed: true, isFirst: false,
            maxDays: 28, codes: ["EXCEEDS_MAX_DAYS"]),
        Case(name: "tertiary, eight weeks", title: .senior, level: .tertiary, days: 56, confirmed: true, maxDays: 60),
        Case(name: "supply on hand within the tolerance", onHandDays: 7, maxDays: 28),
        Case(name: "supply on hand beyond the tolerance", onHandDays: 8, eligible: false, maxDays: 0, codes: ["SUPPLY_ON_HAND"]),
    ]

    @Test(arguments: cases)
    func decision(_ c: Case) {
        var rules = c.rules
        if c.name.contains("no contract required") { rules.requiresFamilyDoctorContract = false }
        let answer = LongPrescriptionRules.check(
            item: .init(
                drug: c.drug, dailyDose: 1, daysAsked: c.days, inCatalogue: c.inCatalogue, assessmentRecorded: c.confirmed,
                patientConfirmed: c.confirmed, supplyOnHandUntil: c.onHandDays.map { Self.today.adding(days: $0) },
                isFirst: c.isFirst),
            patient: .init(
                hasFamilyDoctorContract: c.contract,
                diagnoses: [
                    .init(icd: c.icd, stable: c.stable, lastAssessedOn: c.assessedDaysAgo.map { Self.today.adding(days: -$0) })
                ],
                goodAdherence: c.adherence),
            prescriber: .init(title: c.title, institutionLevel: c.level), rules: rules, national: Self.national, today: Self.today
        )
        #expect(answer.eligible == c.eligible, "\(answer.reasons.map(\.code))")
        #expect(answer.maxDays == c.maxDays)
        #expect(Set(answer.reasons.map(\.code)) == c.codes)
        #expect(answer.reasons.allSatisfy { !$0.zh.isEmpty && !$0.en.isEmpty })
        #expect(answer.quantity == Decimal(answer.eligible ? min(c.days, c.maxDays) : 0))
    }

    @Test("a contract is needed only where the rules say so")
    func contractSetting() {
        var rules = Self.rules
        rules.requiresFamilyDoctorContract = false
        let answer = LongPrescriptionRules.check(
            item: .init(
                drug: Case(name: "", maxDays: 0).drug, dailyDose: 2, daysAsked: 28, inCatalogue: true, assessmentRecorded: false,
                patientConfirmed: false, supplyOnHandUntil: nil, isFirst: true),
            patient: .init(
                hasFamilyDoctorContract: false, diagnoses: [.init(icd: "I10", stable: true, lastAssessedOn: Self.today)],
                goodAdherence: true),
            prescriber: .init(title: .intermediate, institutionLevel: .secondary), rules: rules, national: Self.national,
            today: Self.today)
        #expect(answer.eligible && answer.quantity == 56)
    }

    @Test("a consortium's rules may be stricter than the national ones, never looser")
    func neverLooser() {
        var rules = Self.rules
        #expect(rules.loosenessErrors(nationalMaxDays: 84).isEmpty)
        rules.maxDaysByLevel[.tertiary] = 90
        rules.conditions[0].maxDays = 100
        #expect(Set(rules.loosenessErrors(nationalMaxDays: 84).map(\.field)) == ["maxDaysByLevel.tertiary", "conditions.I10"])
    }

    @Test("the overall decision")
    func overall() {
        func answer(_ eligible: Bool, _ asked: Int, _ max: Int) -> LongPrescriptionRules.Answer {
            .init(drugCode: "x", eligible: eligible, daysAsked: asked, maxDays: max, quantity: 0, reasons: [])
        }
        #expect(LongPrescriptionRules.decision([answer(true, 28, 28)]) == .approved)
        #expect(LongPrescriptionRules.decision([answer(true, 84, 60), answer(true, 28, 28)]) == .shortened)
        #expect(LongPrescriptionRules.decision([answer(true, 28, 28), answer(false, 28, 0)]) == .refused)
    }
}
