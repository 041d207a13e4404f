import Foundation
import Testing

@testable import RxDomain

@Suite("Extended prescriptions: eligibility to issue, supply across members, one patient across the consortium")
struct ExtendedPrescriptionIssueTests: RuleRefusals {
    let start = BusinessDate(year: 2027, month: 3, day: 1)
    let drug = Drug(
        code: "X-AMLO", genericName: "氨氯地平", dosageForm: "片剂", packageSize: 28, packageUnit: "盒", unit: "片",
        category: .western, essentialEditions: ["2018"], insuranceClass: .a)
    let item = LongPrescriptionRequest.Item(
        drugCode: "X-AMLO", dailyDose: 1, days: 28, assessmentRecorded: false, patientConfirmed: false)

    /// The upper hospital (1, tertiary) holds the drug; the community centre (2) does not.
    func context(on date: BusinessDate) -> LongPrescriptionContext {
        LongPrescriptionContext(
            consortiumID: 1, date: date,
            rules: LongPrescriptionRuleSet(
                effectiveFrom: BusinessDate(year: 2026, month: 1, day: 1),
                conditions: [QualifyingCondition(icdFrom: "I10", icdTo: "I15", name: "高血压")],
                maxDaysByLevel: [.tertiary: 84, .primary: 84], requiresFamilyDoctorContract: true, maxAssessmentAgeDays: 90,
                supplyOnHandToleranceDays: 7, excludedDrugs: []),
            national: .init(maxDays: 84, standardDays: 28),
            institutions: ["HOS": (id: 1, level: .tertiary), "CHC": (id: 2, level: .primary)],
            prescribers: ["DR-H": (institutionID: 1, title: .intermediate, level: .tertiary)],
            catalogues: [1: ["X-AMLO"], 2: []], drugs: ["X-AMLO": drug])
    }

    func longCheck(on date: BusinessDate, supply: [ActiveSupply]) throws(DomainError) -> LongPrescriptionCheck {
        let patient = LongPrescriptionRules.Patient(
            hasFamilyDoctorContract: true, diagnoses: [.init(icd: "I10", stable: true, lastAssessedOn: start)],
            goodAdherence: true)
        let request = LongPrescriptionRequest(
            institutionCode: "HOS", prescriberPseudonym: "DR-H", patientRef: "H-0042", patient: patient, items: [item])
        let context = context(on: date)
        let prescriber = try LongPrescriptionRules.prescriber(of: request, in: context)
        return try LongPrescriptionRules.judge(request, context: context, prescriber: prescriber, extraDrugs: [], supply: supply)
    }

    @Test("a drug of the consortium's catalogue that the institution does not hold: outside its list or short in its stock")
    func eligibility() throws {
        func facts(_ consortium: Bool, _ own: Bool, _ onHand: Decimal, chronic: Bool = false)
            -> ExtendedPrescriptionRules.IssueFacts
        {
            .init(inConsortiumCatalogue: consortium, inOwnList: own, onHandAtIssuer: Quantity(onHand), chronic: chronic)
        }
        func days(_ facts: ExtendedPrescriptionRules.IssueFacts, quantity: Decimal = 28) throws -> Int {
            try ExtendedPrescriptionRules.daysToIssue(item, quantity: Quantity(quantity), facts: facts) {
                () throws(DomainError) in
                try longCheck(on: start, supply: [])
            }
        }
        #expect(try days(facts(true, false, 0)) == 28)
        #expect(try days(facts(true, true, 10)) == 28)  // in its list but out of stock
        #expect(field { _ = try days(facts(false, false, 0)) } == "drugCode")
        #expect(field { _ = try days(facts(true, true, 28)) } == "drugCode")
        #expect(field { _ = try days(facts(true, false, 0), quantity: 0) } == "quantity")
        // A chronic-disease drug goes through the long-prescription check, unchanged.
        #expect(try days(facts(true, false, 0, chronic: true)) == 28)
    }

    @Test("supply issued at one member blocks an overlapping issue at another, through the patient's linked pseudonyms")
    func supplyAcrossMembers() throws {
        let links = [
            PatientLink(member: .init(institutionID: 2, pseudonym: "C-0007"), consortiumPseudonym: "CP-1", basis: .referral),
            PatientLink(member: .init(institutionID: 1, pseudonym: "H-0042"), consortiumPseudonym: "CP-1", basis: .insuranceCard),
            PatientLink(member: .init(institutionID: 3, pseudonym: "V-9"), consortiumPseudonym: "CP-2", basis: .healthCard),
        ]
        let hospitalPatient = MemberPatient(institutionID: 1, pseudonym: "H-0042")
        let everywhere = PatientLinkRules.pseudonyms(of: hospitalPatient, links: links)
        #expect(everywhere == [hospitalPatient, .init(institutionID: 2, pseudonym: "C-0007")])
        // The community centre issued 56 days of the drug as an extended prescription on 1 March.
        func extended(_ state: ExtendedPrescriptionState, chronic: Bool = true) -> ExtendedSupply {
            ExtendedSupply(prescriptionID: 501, drugCode: "X-AMLO", issuedOn: start, days: 56, state: state, chronic: chronic)
        }
        let supply = ExtendedPrescriptionRules.supplyOnHand(long: [], extended: [extended(.collected)])
        #expect(
            supply == [ActiveSupply(drugCode: "X-AMLO", prescriptionID: 501, lastDay: start.adding(days: 55), extended: true)])
        // Ten days later the hospital's long prescription of the same drug overlaps: 409.
        let later = start.adding(days: 10)
        let check = try longCheck(on: later, supply: supply)
        #expect(check.answers[0].reasons.map(\.code).contains("SUPPLY_ON_HAND"))
        #expect(isConflict { _ = try LongPrescriptionRules.daysToIssue(item, check: check) })
        // The 409 says which kind of prescription holds the supply.
        #expect(
            refusal { _ = try LongPrescriptionRules.daysToIssue(item, check: check) }.map {
                $0.message == "the patient still holds supply from extended prescription 501"
            } == true)
        // So does another extended prescription of it, issued at the hospital's side.
        let facts = ExtendedPrescriptionRules.IssueFacts(
            inConsortiumCatalogue: true, inOwnList: false, onHandAtIssuer: .zero, chronic: true)
        #expect(
            isConflict {
                _ = try ExtendedPrescriptionRules.daysToIssue(item, quantity: Quantity(28), facts: facts) {
                    () throws(DomainError) in
                    try longCheck(on: later, supply: supply)
                }
            })
        // Refused, cancelled and uncollected ones hold nothing; nor does a drug that is not for a chronic disease.
        for state in [ExtendedPrescriptionState.refused, .cancelled, .notCollected] {
            #expect(ExtendedPrescriptionRules.supplyOnHand(long: [], extended: [extended(state)]).isEmpty)
        }
        #expect(ExtendedPrescriptionRules.supplyOnHand(long: [], extended: [extended(.delivered, chronic: false)]).isEmpty)
        let free = try longCheck(
            on: later, supply: ExtendedPrescriptionRules.supplyOnHand(long: [], extended: [extended(.cancelled)]))
        #expect(try LongPrescriptionRules.daysToIssue(item, check: free) == 28)
    }

    @Test("a chronic extended prescription at the community centre: the check asks the consortium's catalogue too")
    func chronicAtCommunityCentre() throws {
        let patient = LongPrescriptionRules.Patient(
            hasFamilyDoctorContract: true, diagnoses: [.init(icd: "I10", stable: true, lastAssessedOn: start)],
            goodAdherence: true)
        var own = context(on: start)
        own.prescribers["DR-C"] = (institutionID: 2, title: .intermediate, level: .primary)
        let request = LongPrescriptionRequest(
            institutionCode: "CHC", prescriberPseudonym: "DR-C", patientRef: "C-0007", patient: patient, items: [item])
        func check(_ context: LongPrescriptionContext) throws(DomainError) -> LongPrescriptionCheck {
            let prescriber = try LongPrescriptionRules.prescriber(of: request, in: context)
            return try LongPrescriptionRules.judge(request, context: context, prescriber: prescriber, extraDrugs: [], supply: [])
        }
        let facts = ExtendedPrescriptionRules.IssueFacts(
            inConsortiumCatalogue: true, inOwnList: false, onHandAtIssuer: .zero, chronic: true)
        func issue(_ context: LongPrescriptionContext) throws -> Int {
            try ExtendedPrescriptionRules.daysToIssue(item, quantity: Quantity(28), facts: facts) { () throws(DomainError) in
                try check(context)
            }
        }
        // Against its own list alone the drug is outside the catalogue: refused.
        #expect(fields { _ = try issue(own) } == ["NOT_IN_CATALOGUE"])
        let extended = ExtendedPrescriptionRules.longCheckContext(own, issuerID: 2, consortiumCatalogue: ["X-AMLO"])
        #expect(try issue(extended) == 28)
        #expect(extended.catalogues[1] == own.catalogues[1])
    }

    @Test("long and extended supply together: the latest last day of a drug is the one the check sees")
    func supplyOrder() {
        let long = [ActiveSupply(drugCode: "X-AMLO", prescriptionID: 11, lastDay: start.adding(days: 80))]
        let extended = [
            ExtendedSupply(prescriptionID: 501, drugCode: "X-AMLO", issuedOn: start, days: 28, state: .approved, chronic: true)
        ]
        let supply = ExtendedPrescriptionRules.supplyOnHand(long: long, extended: extended)
        #expect(supply.map(\.prescriptionID) == [501, 11])
    }

    @Test(
        "a link: pseudonyms as the contract's PatientRef, never an ID card number, a known basis; one link per member pseudonym")
    func links() throws {
        let existing = PatientLink(
            member: .init(institutionID: 2, pseudonym: "C-0007"), consortiumPseudonym: "CP-1", basis: .referral)
        let (basis, outcome) = try PatientLinkRules.check(
            memberPseudonym: "C-0008", consortiumPseudonym: "CP-1", basis: "family_doctor_contract", existing: nil)
        #expect(basis == .familyDoctorContract && outcome == .new)
        #expect(
            try PatientLinkRules.check(
                memberPseudonym: "C-0007", consortiumPseudonym: "CP-1", basis: "referral", existing: existing
            ).1
                == .unchanged)
        #expect(
            isConflict {
                _ = try PatientLinkRules.check(
                    memberPseudonym: "C-0007", consortiumPseudonym: "CP-9", basis: "referral", existing: existing)
            })
        #expect(
            fields {
                _ = try PatientLinkRules.check(
                    memberPseudonym: "张三", consortiumPseudonym: "11010519491231002X", basis: "name", existing: nil)
            }
                == ["memberPseudonym", "consortiumPseudonym", "basis"])
        // The reasons never repeat what was typed.
        let refusal = refusal {
            _ = try PatientLinkRules.check(memberPseudonym: "张三", consortiumPseudonym: "CP-1", basis: "referral", existing: nil)
        }
        #expect(refusal.map { !"\($0)".contains("张三") } == true)
        #expect(PatientLinkRules.looksLikeIDCardNumber("110105194912310021"))
        #expect(!PatientLinkRules.looksLikeIDCardNumber("P-110105194912310"))
        // An unlinked patient is only itself, so prescriptions made before the index keep working.
        let alone = MemberPatient(institutionID: 5, pseudonym: "P-1")
        #expect(PatientLinkRules.pseudonyms(of: alone, links: [existing]) == [alone])
    }
}
