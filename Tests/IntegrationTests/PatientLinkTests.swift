import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// One patient across the consortium (issue 23): members link their pseudonyms of a patient to a consortium
/// pseudonym (audited), the links are read by either pseudonym, and the long-prescription check and issue see
/// supply on hand at every linked member.
@Suite("Patient links")
struct PatientLinkTests {
    static let path = "/v1/consortia/JLTCM/patient-links"

    static func link(institution: String, member: String, consortium: String, basis: String = "referral") -> String {
        """
        {"institutionCode": "\(institution)", "memberPseudonym": "\(member)", "consortiumPseudonym": "\(consortium)",
         "basis": "\(basis)"}
        """
    }

    static func check(drug: String, patient: String, institution: String, prescriber: String) -> String {
        """
        {"institutionCode": "\(institution)", "prescriber": "\(prescriber)",
         "patient": {"ref": "\(patient)", "familyDoctorContract": true, "goodAdherence": true,
                     "diagnoses": [{"icd": "I10", "stable": true, "lastAssessedOn": "\(BusinessDate.today().adding(days: -5))"}]},
         "items": [{"drugCode": "\(drug)", "dailyDose": "1", "days": 28}]}
        """
    }

    static func reasons(_ response: TestResponse) -> [String] {
        ((response.json["items"] as? [[String: Any]])?.first?["reasons"] as? [[String: Any]] ?? []).compactMap {
            $0["code"] as? String
        }
    }

    @Test("a member links its pseudonym on a basis (201, audited); again is 200 unchanged; elsewhere 409; bad input named")
    func linking() async throws {
        try await TestApp.run { app in
            let community = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let hospital = try await app.token(.institutionPharmacist, institution: "JL-TCMH")
            let first = try await app.call(
                .post, Self.path, token: community,
                json: Self.link(institution: "CY-BJL-CHC", member: "P-0001", consortium: "C-0001"))
            #expect(first.status == .created, "\(first.text)")
            #expect(first.json["consortiumPseudonym"] as? String == "C-0001")
            #expect(first.json["basis"] as? String == "referral")
            let again = try await app.call(
                .post, Self.path, token: community,
                json: Self.link(institution: "CY-BJL-CHC", member: "P-0001", consortium: "C-0001"))
            #expect(again.status == .ok, "\(again.text)")
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'patient_link'") == 1)
            let other = try await app.call(
                .post, Self.path, token: hospital,
                json: Self.link(institution: "JL-TCMH", member: "H-77", consortium: "C-0001", basis: "insurance_card"))
            #expect(other.status == .created, "\(other.text)")
            let elsewhere = try await app.call(
                .post, Self.path, token: community,
                json: Self.link(institution: "CY-BJL-CHC", member: "P-0001", consortium: "C-0002"),
                headers: [.acceptLanguage: "zh"])
            elsewhere.expectProblem(.conflict)
            #expect((elsewhere.json["detail"] as? String)?.contains("已关联") == true, "\(elsewhere.text)")
            // Refused input: an ID-card-shaped pseudonym (422, never echoed), an unknown basis and a name (400 by the
            // contract), another member's pseudonym (403), an unknown member (404).
            let idCard = try await app.call(
                .post, Self.path, token: community,
                json: Self.link(institution: "CY-BJL-CHC", member: "11010519491231002X", consortium: "C-0003"))
            idCard.expectProblem(.unprocessableContent, naming: "memberPseudonym")
            #expect(!idCard.text.contains("11010519491231002X"))
            let basis = try await app.call(
                .post, Self.path, token: community,
                json: Self.link(institution: "CY-BJL-CHC", member: "P-0002", consortium: "C-0003", basis: "hunch"))
            basis.expectProblem(.badRequest, naming: "basis")
            let name = try await app.call(
                .post, Self.path, token: community, json: Self.link(institution: "CY-BJL-CHC", member: "张三", consortium: "C-0003")
            )
            name.expectProblem(.badRequest, naming: "memberPseudonym")
            let foreign = try await app.call(
                .post, Self.path, token: community, json: Self.link(institution: "JL-TCMH", member: "H-78", consortium: "C-0003"))
            foreign.expectProblem(.forbidden)
            let admin = try await app.token(.consortiumAdmin)
            let unknown = try await app.call(
                .post, Self.path, token: admin, json: Self.link(institution: "NO-SUCH", member: "X-1", consortium: "C-0003"))
            unknown.expectProblem(.notFound)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'patient_link'") == 2)
            #expect(try await app.count("SELECT count(*)::int FROM patient_links") == 2)
        }
    }

    @Test("a patient's links are read by the consortium pseudonym or a member's; unlinked is none; named one way (400)")
    func reading() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            for (institution, member) in [("CY-BJL-CHC", "P-0001"), ("JL-TCMH", "H-77")] {
                let linked = try await app.call(
                    .post, Self.path, token: admin,
                    json: Self.link(institution: institution, member: member, consortium: "C-0001"))
                #expect(linked.status == .created, "\(linked.text)")
            }
            let auditor = try await app.token(.auditor)
            let byConsortium = try await app.call(.get, "\(Self.path)?consortiumPseudonym=C-0001", token: auditor)
            #expect(byConsortium.status == .ok, "\(byConsortium.text)")
            let items = byConsortium.json["items"] as? [[String: Any]] ?? []
            #expect(items.compactMap { $0["memberPseudonym"] as? String }.sorted() == ["H-77", "P-0001"])
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let byMember = try await app.call(
                .get, "\(Self.path)?institutionCode=JL-TCMH&memberPseudonym=H-77", token: prescriber)
            #expect(byMember.json["consortiumPseudonym"] as? String == "C-0001", "\(byMember.text)")
            #expect((byMember.json["items"] as? [[String: Any]])?.count == 2)
            let unlinked = try await app.call(
                .get, "\(Self.path)?institutionCode=CY-BJL-CHC&memberPseudonym=P-0009", token: prescriber)
            #expect(unlinked.status == .ok && (unlinked.json["items"] as? [Any])?.isEmpty == true, "\(unlinked.text)")
            #expect(unlinked.json["consortiumPseudonym"] == nil)
            for query in ["", "?institutionCode=JL-TCMH", "?consortiumPseudonym=C-0001&memberPseudonym=H-77"] {
                let refused = try await app.call(.get, "\(Self.path)\(query)", token: prescriber)
                refused.expectProblem(.badRequest)
                #expect(refused.text.contains("memberPseudonym"), "\(query): \(refused.text)")
            }
            let finance = try await app.token(.finance)
            try await app.call(.get, "\(Self.path)?consortiumPseudonym=C-0001", token: finance).expectProblem(.forbidden)
        }
    }

    @Test("supply issued at one member blocks an overlapping check and issue at another once the pseudonyms are linked")
    func supplyAcrossMembers() async throws {
        try await TestApp.run { app in
            let drug = try await LongPrescriptionTests.chronicDrug(app)
            let community = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let hospital = try await app.token(.prescriber, institution: "JL-TCMH")
            let issued = try await app.call(
                .post, "/v1/long-prescriptions", token: community, json: LongPrescriptionTests.body(drug: drug))
            #expect(issued.status == .created, "\(issued.text)")
            let id = try #require(issued.json["id"] as? Int)
            let checkAtHospital = Self.check(drug: drug, patient: "H-77", institution: "JL-TCMH", prescriber: "DR-JL-0001")
            let before = try await app.call(.post, "/v1/long-prescriptions/check", token: hospital, json: checkAtHospital)
            #expect(before.status == .ok, "\(before.text)")
            #expect(!Self.reasons(before).contains("SUPPLY_ON_HAND"), "\(before.text)")
            let admin = try await app.token(.consortiumAdmin)
            for (institution, member) in [("CY-BJL-CHC", "P-0001"), ("JL-TCMH", "H-77")] {
                let linked = try await app.call(
                    .post, Self.path, token: admin,
                    json: Self.link(institution: institution, member: member, consortium: "C-0001"))
                #expect(linked.status == .created, "\(linked.text)")
            }
            // The direct route and the generated one (an Accept with two types) both see the other member's supply.
            for accept in ["application/json", "application/json, text/plain"] {
                let after = try await app.call(
                    .post, "/v1/long-prescriptions/check", token: hospital, json: checkAtHospital, headers: [.accept: accept])
                #expect(after.status == .ok, "\(after.text)")
                #expect(Self.reasons(after).contains("SUPPLY_ON_HAND"), "\(accept): \(after.text)")
            }
            let blocked = try await app.call(
                .post, "/v1/long-prescriptions", token: hospital,
                json: LongPrescriptionTests.body(drug: drug, patient: "H-77", prescriber: "DR-JL-0001", institution: "JL-TCMH"))
            blocked.expectProblem(.conflict)
            #expect((blocked.json["detail"] as? String)?.contains("\(id)") == true, "\(blocked.text)")
            // An unlinked patient of the hospital is not affected.
            let stranger = try await app.call(
                .post, "/v1/long-prescriptions/check", token: hospital,
                json: Self.check(drug: drug, patient: "H-99", institution: "JL-TCMH", prescriber: "DR-JL-0001"))
            #expect(!Self.reasons(stranger).contains("SUPPLY_ON_HAND"), "\(stranger.text)")
        }
    }

    @Test("two members issuing the same drug to one linked patient at once: one is issued, the other 409")
    func racingMembers() async throws {
        try await TestApp.run { app in
            let drug = try await LongPrescriptionTests.chronicDrug(app)
            let admin = try await app.token(.consortiumAdmin)
            for (institution, member) in [("CY-BJL-CHC", "P-0001"), ("JL-TCMH", "H-77")] {
                try await app.call(
                    .post, Self.path, token: admin,
                    json: Self.link(institution: institution, member: member, consortium: "C-0001"))
            }
            let community = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let hospital = try await app.token(.prescriber, institution: "JL-TCMH")
            async let a = app.call(
                .post, "/v1/long-prescriptions", token: community, json: LongPrescriptionTests.body(drug: drug))
            async let b = app.call(
                .post, "/v1/long-prescriptions", token: hospital,
                json: LongPrescriptionTests.body(drug: drug, patient: "H-77", prescriber: "DR-JL-0001", institution: "JL-TCMH"))
            let statuses = [try await a, try await b].map(\.status.code).sorted()
            #expect(statuses == [201, 409], "\(statuses)")
            #expect(
                try await app.count("SELECT count(*)::int FROM long_prescriptions WHERE patient_ref IN ('P-0001', 'H-77')") == 1)
        }
    }
}
