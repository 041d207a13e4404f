import Testing

@testable import RxDomain

/// Who issues, reviews and cancels an extended prescription, and its parties (issue 23, third part).
@Suite("Extended prescriptions: access and parties")
struct ExtendedPrescriptionAccessTests {
    func principal(_ role: Role, _ institution: Int64?, consortium: Int64 = 1) -> Principal {
        Principal(
            tokenID: 1, role: role, consortiumID: consortium, consortiumCode: "C\(consortium)", institutionID: institution,
            institutionCode: institution.map { "I\($0)" }, name: "t")
    }

    @Test("a prescriber of the issuing member issues; a pharmacist of the dispensing member reviews; either side cancels")
    func access() {
        let issue = Permission.issueExtendedPrescription(consortiumID: 1, institutionID: 2)
        #expect(principal(.prescriber, 2).may(issue))
        #expect(!principal(.prescriber, 3).may(issue) && !principal(.institutionPharmacist, 2).may(issue))
        #expect(!principal(.prescriber, 2, consortium: 2).may(issue))
        let review = Permission.reviewExtendedPrescription(consortiumID: 1, dispensingInstitutionID: 3)
        #expect(principal(.institutionPharmacist, 3).may(review))
        #expect(!principal(.institutionPharmacist, 2).may(review) && !principal(.prescriber, 3).may(review))
        #expect(!principal(.consortiumAdmin, nil).may(review))
        let cancel = Permission.cancelExtendedPrescription(consortiumID: 1, institutionID: 2, dispensingInstitutionID: 3)
        #expect(principal(.prescriber, 2).may(cancel) && principal(.institutionPharmacist, 2).may(cancel))
        #expect(principal(.institutionPharmacist, 3).may(cancel) && !principal(.prescriber, 3).may(cancel))
        #expect(!principal(.institutionPharmacist, 4).may(cancel) && !principal(.auditor, nil).may(cancel))
        #expect(Permission.Kind.issueExtendedPrescription.holders == [.prescriber])
        #expect(Permission.Kind.reviewExtendedPrescription.holders == [.institutionPharmacist])
        #expect(Permission.Kind.cancelExtendedPrescription.holders == [.prescriber, .institutionPharmacist])
    }

    @Test("the dispensing member's pharmacist dispatches; either side's records the delivery; the collecting member's hands over")
    func handling() {
        let dispatch = Permission.dispatchExtendedPrescription(consortiumID: 1, dispensingInstitutionID: 3)
        #expect(principal(.institutionPharmacist, 3).may(dispatch))
        #expect(!principal(.institutionPharmacist, 2).may(dispatch) && !principal(.prescriber, 3).may(dispatch))
        #expect(!principal(.institutionPharmacist, 3, consortium: 2).may(dispatch))
        let deliver = Permission.deliverExtendedPrescription(
            consortiumID: 1, dispensingInstitutionID: 3, collectingInstitutionID: 2)
        #expect(principal(.institutionPharmacist, 2).may(deliver) && principal(.institutionPharmacist, 3).may(deliver))
        #expect(!principal(.institutionPharmacist, 4).may(deliver) && !principal(.prescriber, 2).may(deliver))
        let collect = Permission.collectExtendedPrescription(consortiumID: 1, collectingInstitutionID: 2)
        #expect(principal(.institutionPharmacist, 2).may(collect))
        #expect(!principal(.institutionPharmacist, 3).may(collect) && !principal(.consortiumAdmin, nil).may(collect))
        for kind in [Permission.Kind.dispatchExtendedPrescription, .deliverExtendedPrescription, .collectExtendedPrescription] {
            #expect(kind.holders == [.institutionPharmacist])
        }
    }

    @Test("the dispensing institution is another member than the issuing one (422 naming dispensingInstitutionCode)")
    func parties() throws {
        try ExtendedPrescriptionRules.checkParties(issuerID: 2, dispensingID: 1)
        do {
            try ExtendedPrescriptionRules.checkParties(issuerID: 2, dispensingID: 2)
            Issue.record("the issuer dispensing to itself was let through")
        } catch {
            #expect(error.fieldErrors.map(\.field) == ["dispensingInstitutionCode"])
            #expect(ChineseMessages.translateFieldMessage(error.message) != nil, "\(error.message)")
        }
    }
}
