import Testing

@testable import RxDomain

@Suite("Herb rounds: whose figures a caller sees (HerbRoundRules)")
struct HerbRoundVisibilityTests {
    func refusal(_ body: () throws -> Void) -> DomainError? {
        do { try body() } catch let error as DomainError { return error } catch { return nil }
        return nil
    }

    @Test("the lead, auditors and regulators see every member; a member its own; a token without an institution none")
    func visibleMember() throws {
        #expect(try HerbRoundRules.visibleMember(seesAll: true, institutionID: 4, figures: .commitments) == nil)
        #expect(try HerbRoundRules.visibleMember(seesAll: true, institutionID: nil, figures: .commitments) == nil)
        #expect(try HerbRoundRules.visibleMember(seesAll: false, institutionID: 4, figures: .commitments) == 4)
        #expect(
            refusal { _ = try HerbRoundRules.visibleMember(seesAll: false, institutionID: nil, figures: .progress) }
                == .forbidden("a member sees its own progress; this token names no institution"))
        #expect(
            refusal { _ = try HerbRoundRules.visibleMember(seesAll: false, institutionID: nil, figures: .commitments) }
                == .forbidden("a member sees its own commitments; this token names no institution"))
        #expect(
            refusal {
                _ = try HerbRoundRules.visibleMember(seesAll: false, institutionID: nil, figures: .missingCommitments)
            } == .forbidden("a member sees its own missing commitments; this token names no institution"))
    }

    @Test("a member names only its own institution")
    func namedMember() throws {
        try HerbRoundRules.checkNamedMember(nil, own: "M1")
        try HerbRoundRules.checkNamedMember("M1", own: "M1")
        #expect(
            refusal { try HerbRoundRules.checkNamedMember("M2", own: "M1") }
                == .forbidden("a member sees its own missing commitments, not M2's"))
    }
}
