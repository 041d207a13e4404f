import Testing

@testable import RxDomain

/// Prescribers bound to their tokens (issue 23): who may be bound, and a bound token acting in its own name only.
@Suite("Prescriber token rules")
struct PrescriberTokenRulesTests {
    static func prescriber(bound: String?) -> Principal {
        Principal(
            tokenID: 1, role: .prescriber, consortiumID: 1, consortiumCode: "C1", institutionID: 2,
            institutionCode: "MEMBER", name: "t", prescriberPseudonym: bound)
    }

    @Test("a bound token names its own prescriber; another is 422 naming prescriber; an unbound token names anyone")
    func ownName() throws {
        try Self.prescriber(bound: "DR-1").requireOwnPrescriber("DR-1")
        #expect(throws: DomainError.self) { try Self.prescriber(bound: "DR-1").requireOwnPrescriber("DR-2") }
        do {
            try Self.prescriber(bound: "DR-1").requireOwnPrescriber("DR-2")
        } catch {
            #expect(error.fieldErrors.map(\.field) == ["prescriber"])
            #expect(
                (ChineseMessages.translate(error.message) ?? ChineseMessages.translateFieldMessage(error.message)) != nil,
                "\(error.message)")
        }
        for named in ["DR-1", "DR-2"] { try Self.prescriber(bound: nil).requireOwnPrescriber(named) }
    }

    @Test("only a prescriber token scoped to an institution is bound, to a pseudonym; every refusal names prescriber")
    func scope() throws {
        try Role.prescriber.checkTokenScope(consortiumCode: "C1", institutionCode: "MEMBER", prescriber: "DR-1")
        try Role.prescriber.checkTokenScope(consortiumCode: "C1", institutionCode: nil, prescriber: nil)
        let refused: [(Role, String?, String)] = [
            (.institutionPharmacist, "MEMBER", "DR-1"), (.consortiumAdmin, nil, "DR-1"), (.prescriber, nil, "DR-1"),
            (.prescriber, "MEMBER", "张三"), (.prescriber, "MEMBER", ""),
        ]
        for (role, institution, prescriber) in refused {
            do {
                try role.checkTokenScope(consortiumCode: "C1", institutionCode: institution, prescriber: prescriber)
                Issue.record("\(role) \(String(describing: institution)) \(prescriber) was let through")
            } catch {
                #expect(error.fieldErrors.map(\.field) == ["prescriber"], "\(error)")
                #expect(
                    (ChineseMessages.translate(error.message) ?? ChineseMessages.translateFieldMessage(error.message)) != nil,
                    "\(error.message)")
            }
        }
    }
}
