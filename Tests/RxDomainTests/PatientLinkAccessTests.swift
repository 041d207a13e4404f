import Testing

@testable import RxDomain

/// One patient across the consortium (issue 23): who links and reads a patient's links, and how a read names the
/// patient.
@Suite("Patient link access and queries")
struct PatientLinkAccessTests {
    @Test("a member's prescriber or pharmacist links its own pseudonyms, the pharmacy centre any member's")
    func linking() {
        func principal(_ role: Role, _ institution: Int64?) -> Principal {
            Principal(
                tokenID: 1, role: role, consortiumID: 1, consortiumCode: "C1", institutionID: institution,
                institutionCode: institution.map { "I\($0)" }, name: "t")
        }
        let own = Permission.linkPatient(consortiumID: 1, institutionID: 2)
        #expect(principal(.prescriber, 2).may(own) && principal(.institutionPharmacist, 2).may(own))
        #expect(!principal(.prescriber, 3).may(own) && !principal(.prescriber, nil).may(own))
        #expect(principal(.consortiumAdmin, nil).may(own) && !principal(.consortiumAdmin, 3).may(own))
        #expect(!principal(.auditor, nil).may(own) && !principal(.finance, nil).may(own))
        #expect(!principal(.prescriber, 2).may(.linkPatient(consortiumID: 2, institutionID: 2)))
        #expect(Permission.Kind.linkPatient.holders == [.consortiumAdmin, .institutionPharmacist, .prescriber])
        #expect(
            Permission.Kind.readPatientLinks.holders
                == [.consortiumAdmin, .institutionPharmacist, .prescriber, .auditor, .regulator])
    }

    @Test("a read names the patient one way: the consortium pseudonym, or a member's code with its pseudonym (400)")
    func query() throws {
        #expect(
            try PatientLinkRules.query(consortiumPseudonym: "C-1", institutionCode: nil, memberPseudonym: nil)
                == .consortium(pseudonym: "C-1"))
        #expect(
            try PatientLinkRules.query(consortiumPseudonym: nil, institutionCode: "M", memberPseudonym: "P-1")
                == .member(institutionCode: "M", pseudonym: "P-1"))
        let refused: [(String?, String?, String?, [String])] = [
            (nil, nil, nil, ["consortiumPseudonym", "institutionCode", "memberPseudonym"]),
            (nil, "M", nil, ["institutionCode"]),
            (nil, nil, "P-1", ["memberPseudonym"]),
            ("C-1", "M", "P-1", ["consortiumPseudonym", "institutionCode", "memberPseudonym"]),
            ("张三", nil, nil, ["consortiumPseudonym"]),
        ]
        for (consortium, institution, member, fields) in refused {
            do {
                _ = try PatientLinkRules.query(
                    consortiumPseudonym: consortium, institutionCode: institution, memberPseudonym: member)
                Issue.record("\(fields) was let through")
            } catch {
                guard case .badRequest = error else {
                    Issue.record("\(error) is not 400")
                    continue
                }
                #expect(error.fieldErrors.map(\.field) == fields)
                #expect(!error.message.contains("张三"))
                #expect(
                    (ChineseMessages.translate(error.message) ?? ChineseMessages.translateFieldMessage(error.message)) != nil,
                    "\(error.message)")
            }
        }
    }
}
