import Testing

@testable import RxDomain

/// The refusals of consortia, institutions and drugs, decided without a database (issue 20).
@Suite("Master data rules")
struct MasterDataRulesTests: RuleRefusals {
    static let consortium = Consortium(id: 7, code: "YLT-A", name: "A", kind: .cityMedicalGroup, leadInstitutionCode: nil)

    @Test("The lead institution must be a member of the consortium; a change naming none keeps the lead")
    func lead() throws {
        let member = ConsortiumRules.LeadCandidate(id: 3, consortiumID: 7)
        let other = ConsortiumRules.LeadCandidate(id: 4, consortiumID: 8)
        #expect(try ConsortiumRules.leadInstitutionID(member, code: "H1", of: Self.consortium) == 3)
        #expect(try ConsortiumRules.leadInstitutionID(nil, code: nil, of: Self.consortium) == nil)
        #expect(
            field { _ = try ConsortiumRules.leadInstitutionID(other, code: "H2", of: Self.consortium) } == "leadInstitutionCode")
        #expect(
            field { _ = try ConsortiumRules.leadInstitutionID(nil, code: "NOPE", of: Self.consortium) } == "leadInstitutionCode")
        #expect(
            refusal { _ = try ConsortiumRules.leadInstitutionID(nil, code: "NOPE", of: Self.consortium) }?.fieldErrors.first?
                .reason
                == "NOPE is not a member of YLT-A")
    }

    @Test("A new institution's code must have the shape of a code")
    func institutionCode() {
        #expect(field { try ConsortiumRules.checkNewInstitutionCode("H-01") } == nil)
        #expect(field { try ConsortiumRules.checkNewInstitutionCode("h 1") } == "code")
        #expect(field { try ConsortiumRules.checkNewInstitutionCode("-H") } == "code")
    }

    @Test("A drug names only known essential-list editions, and a change is checked field by field")
    func drugs() {
        #expect(field { try DrugRules.checkEditions(["2018"], known: ["2018"]) } == nil)
        #expect(field { try DrugRules.checkEditions([], known: []) } == nil)
        #expect(field { try DrugRules.checkEditions(["2018", "2030"], known: ["2018"]) } == "essentialEditions")
        var change = DrugUpdate()
        #expect(field { try DrugRules.checkChange(change) } == nil)
        change.genericName = ""
        change.essentialEditions = ["20x8"]
        #expect(fields { try DrugRules.checkChange(change) } == ["genericName", "essentialEditions"])
    }
}
