import Testing
@testable import RxDomain

@Suite("Access policy")
struct AccessPolicyTests {
    func principal(_ role: Role, consortium: Int64 = 1, institution: Int64? = nil) -> Principal {
        Principal(tokenID: 1, role: role, consortiumID: consortium, consortiumCode: "C\(consortium)",
                  institutionID: institution, institutionCode: institution.map { "I\($0)" }, name: "t")
    }

    @Test("only a consortium admin of the same consortium updates it and adds institutions")
    func consortiumChanges() {
        #expect(principal(.consortiumAdmin).may(.updateConsortium(consortiumID: 1)))
        #expect(!principal(.consortiumAdmin, consortium: 2).may(.updateConsortium(consortiumID: 1)))
        for role in Role.allCases where role != .consortiumAdmin {
            #expect(!principal(role).may(.updateConsortium(consortiumID: 1)))
            #expect(!principal(role).may(.createInstitution(consortiumID: 1)))
        }
    }

    @Test("a member's pharmacist changes only their own institution")
    func ownInstitutionOnly() {
        let pharmacist = principal(.institutionPharmacist, institution: 7)
        #expect(pharmacist.may(.updateInstitution(consortiumID: 1, institutionID: 7)))
        #expect(!pharmacist.may(.updateInstitution(consortiumID: 1, institutionID: 8)))
        #expect(principal(.consortiumAdmin).may(.updateInstitution(consortiumID: 1, institutionID: 8)))
        #expect(!principal(.prescriber, institution: 7).may(.updateInstitution(consortiumID: 1, institutionID: 7)))
    }

    @Test("audit is read by auditors, admins and regulators")
    func audit() {
        #expect(principal(.auditor).may(.readAudit))
        #expect(principal(.regulator).may(.readAudit))
        #expect(principal(.consortiumAdmin).may(.readAudit))
        #expect(!principal(.prescriber).may(.readAudit))
        #expect(!principal(.institutionPharmacist).may(.readAudit))
    }

    @Test("forbidden is an error naming the role")
    func requireThrows() {
        #expect(throws: DomainError.self) { try principal(.auditor).require(.manageDrugs) }
    }
}

@Suite("Paging")
struct PagingTests {
    @Test func cursorRoundTrip() throws {
        let page = Page(rows: ["a", "b", "c"], limit: 2, key: { $0 })
        #expect(page.items == ["a", "b"])
        let next = try PageRequest(limit: 2, cursor: page.nextCursor)
        #expect(next.after == "b")
        #expect(Page(rows: ["a"], limit: 2, key: { $0 }).nextCursor == nil)
    }

    @Test(arguments: [0, 201, -1])
    func limitOutOfRange(limit: Int) {
        #expect(throws: DomainError.self) { try PageRequest(limit: limit, cursor: nil) }
    }

    @Test func foreignCursorRefused() {
        #expect(throws: DomainError.self) { try PageRequest(limit: nil, cursor: "not-a-cursor!") }
    }
}

@Suite("Master data validation")
struct MasterDataValidationTests {
    @Test func manufacturerNeedsLicence() {
        let s = Supplier(code: "M1", name: "x", isManufacturer: true, isDistributor: false)
        #expect(s.validationErrors().map(\.field) == ["manufacturingLicence"])
    }

    @Test func supplierIsSomething() {
        let s = Supplier(code: "M1", name: "x", isManufacturer: false, isDistributor: false)
        #expect(s.validationErrors().map(\.field).contains("isManufacturer"))
    }

    @Test func decoctionPieceNamesItsHerbAndCountsInGramsOrKilograms() {
        var d = Drug(code: "T1", genericName: "黄芪", dosageForm: "饮片", packageSize: 1, packageUnit: "kg", unit: "袋",
                     category: .decoctionPiece)
        #expect(d.validationErrors().map(\.field) == ["decoctionPiece"])
        d.decoctionPiece = DecoctionPiece(herbName: "黄芪", processing: .raw, grade: "统货")
        #expect(d.validationErrors().map(\.field) == ["unit"])
        d.unit = "kg"
        #expect(d.validationErrors().isEmpty)
    }

    @Test func onlyPiecesNameAHerb() {
        let d = Drug(code: "X1", genericName: "x", dosageForm: "片剂", packageSize: 1, packageUnit: "盒", unit: "片",
                     category: .western, decoctionPiece: DecoctionPiece(herbName: "h", processing: .raw, grade: "统货"))
        #expect(d.validationErrors().map(\.field) == ["decoctionPiece"])
    }

    @Test(arguments: ["", "a b", "x'; DROP TABLE drugs; --", String(repeating: "A", count: 41)])
    func badDrugCodes(code: String) {
        #expect(Codes.drugCodeError(code) != nil)
    }

    @Test(arguments: ["JLTCM", "JL-TCMH", "A1"])
    func goodInstitutionCodes(code: String) {
        #expect(Codes.institutionCodeError(code) == nil)
    }

    @Test(arguments: ["jl", "-A", "A", "A B"])
    func badInstitutionCodes(code: String) {
        #expect(Codes.institutionCodeError(code) != nil)
    }

    @Test func levelsOrderTertiaryHighest() {
        #expect(InstitutionLevel.village < .primary && InstitutionLevel.primary < .secondary && InstitutionLevel.secondary < .tertiary)
    }
}
