import Foundation
import Testing

@testable import RxDomain

@Suite("Long prescriptions: what issuing refuses on the facts found (LongPrescriptionRules)")
struct LongPrescriptionIssueRulesTests {
    func refusal(_ body: () throws -> Void) -> DomainError? {
        do { try body() } catch let error as DomainError { return error } catch { return nil }
        return nil
    }

    @Test("a rule set looser than the national rules is refused naming each looser limit")
    func ruleSet() throws {
        var rules = LongPrescriptionRulesTests.rules
        try LongPrescriptionRules.checkRuleSet(rules, nationalMaxDays: 84)
        rules.maxDaysByLevel[.tertiary] = 90
        let error = refusal { try LongPrescriptionRules.checkRuleSet(rules, nationalMaxDays: 84) }
        #expect(error?.fieldErrors.map(\.field) == ["maxDaysByLevel.tertiary"])
        guard case .unprocessable(let message, _)? = error else {
            Issue.record("expected 422, got \(String(describing: error))")
            return
        }
        #expect(message == "the rule set is looser than the national rules allow")
    }

    @Test("a long prescription is issued by a member of the consortium")
    func institution() throws {
        let member = Institution(
            id: 5, consortiumID: 1, consortiumCode: "JL", code: "M1", name: "M1", level: .primary,
            type: .communityHealthCentre, hasTestingLab: false, isLead: false)
        #expect(try LongPrescriptionRules.issuingInstitution(member, code: "M1", consortiumID: 1) == member)
        #expect(
            refusal { _ = try LongPrescriptionRules.issuingInstitution(member, code: "M1", consortiumID: 2) }
                == .invalid("institutionCode", "no member M1"))
        #expect(
            refusal { _ = try LongPrescriptionRules.issuingInstitution(nil, code: "X", consortiumID: 1) }
                == .invalid("institutionCode", "no member X"))
    }

    @Test("a reused idempotency key answers its own prescription, and only for the same request")
    func idempotencyKey() throws {
        let hash = Data([1, 2, 3])
        let reused = DomainError.invalid("Idempotency-Key", "was used for a different prescription; use a new key")
        #expect(try LongPrescriptionRules.replayedPrescription((hash, 7), requestHash: hash) == 7)
        #expect(refusal { _ = try LongPrescriptionRules.replayedPrescription((Data([9]), 7), requestHash: hash) } == reused)
        #expect(refusal { _ = try LongPrescriptionRules.replayedPrescription((hash, nil), requestHash: hash) } == reused)
        #expect(refusal { _ = try LongPrescriptionRules.replayedPrescription(nil, requestHash: hash) } == reused)
    }

    @Test("the prescriber is registered")
    func prescriber() throws {
        #expect(try LongPrescriptionRules.registeredPrescriber(3) == 3)
        #expect(refusal { _ = try LongPrescriptionRules.registeredPrescriber(nil) } == .invalid("prescriber", "unknown"))
    }
}
