import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// Extended prescriptions (延伸处方, issue 23, third part): issue at the patient's member, review at the dispensing
/// one, cancel; lists by side and state; supply on hand shared with long prescriptions.
@Suite("Extended prescriptions: issue, review, cancel, lists")
struct ExtendedPrescriptionTests {
    /// A chronic-disease drug of the consortium's catalogue that the community centre has none of in stock.
    static func drugOutOfStock(_ app: TestApp) async throws -> String {
        try await app.database.rows(
            """
            SELECT d.code FROM drugs d JOIN catalogue_items c ON c.drug_code = d.code
            WHERE d.category = 'western' AND d.control_class = 'none' AND NOT d.antimicrobial AND NOT d.cold_chain
              AND cardinality(c.levels) = 0 AND d.atc_code LIKE 'C%'
              AND c.version_number = catalogue_version_in_effect(c.consortium_id, current_date)
              AND NOT EXISTS (SELECT 1 FROM stock_on_hand h JOIN institutions i ON i.id = h.institution_id
                              WHERE i.code = 'CY-BJL-CHC' AND h.drug_code = d.code AND h.quantity > 0)
            ORDER BY d.code LIMIT 1
            """, as: String.self)[0]
    }

    static func body(
        drug: String, patient: String = "P-0001", days: Int = 28, dispensing: String = "JL-TCMH",
        prescriber: String = "DR-CY-0001", extra: String = ""
    ) -> String {
        """
        {"institutionCode": "CY-BJL-CHC", "prescriber": "\(prescriber)", "dispensingInstitutionCode": "\(dispensing)",
         "chronic": true,
         "patient": {"ref": "\(patient)", "familyDoctorContract": true, "goodAdherence": true,
                     "diagnoses": [{"icd": "I10", "stable": true, "lastAssessedOn": "\(BusinessDate.today().adding(days: -5))"}]},
         "item": {"drugCode": "\(drug)", "dailyDose": "2", "days": \(days)}\(extra)}
        """
    }

    static let path = "/v1/extended-prescriptions"

    /// The items of a list that the test made: the demo's own (patients `P-EXT-…`, seeded through the use cases by
    /// `console:seed`) are left out.
    static func ours(_ response: TestResponse) -> [[String: Any]] {
        (response.json["items"] as? [[String: Any]] ?? []).filter { ($0["patientRef"] as? String)?.hasPrefix("P-EXT-") != true }
    }

    /// Leaves out the demo's rows in a count: audit rows by the seed, prescriptions of its patients.
    static let notSeeded = "actor <> 'console:seed'"

    @Test("issue: 201 requested with the quantity granted and a trace code, audited; refusals name their field")
    func issue() async throws {
        try await TestApp.run { app in
            let drug = try await Self.drugOutOfStock(app)
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let issued = try await app.call(.post, Self.path, token: prescriber, json: Self.body(drug: drug))
            #expect(issued.status == .created, "\(issued.text)")
            #expect(issued.json["state"] as? String == "requested")
            #expect(issued.json["quantity"] as? String == "56")
            #expect((issued.json["rxTraceCode"] as? String)?.count == 20)
            #expect(issued.json["collectingInstitutionCode"] as? String == "CY-BJL-CHC")
            let id = try #require(issued.json["id"] as? Int)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'extended_prescription' AND action = 'issue' AND \(unescaped: Self.notSeeded)"
                )
                    == 1)
            // Its chronic supply counts: another of the drug is 409 naming it, and the long-prescription check sees it.
            let again = try await app.call(.post, Self.path, token: prescriber, json: Self.body(drug: drug))
            again.expectProblem(.conflict)
            #expect((again.json["detail"] as? String)?.contains("extended prescription \(id)") == true, "\(again.text)")
            let check = try await app.call(
                .post, "/v1/long-prescriptions/check", token: prescriber,
                json: PatientLinkTests.check(drug: drug, patient: "P-0001", institution: "CY-BJL-CHC", prescriber: "DR-CY-0001"))
            #expect(PatientLinkTests.reasons(check).contains("SUPPLY_ON_HAND"), "\(check.text)")
            // Refusals: outside the consortium's catalogue, the issuer dispensing to itself, a late entry too old.
            let outside = try await app.database.rows(
                """
                SELECT code FROM drugs WHERE code NOT IN (SELECT drug_code FROM catalogue_items) AND category = 'western'
                ORDER BY code LIMIT 1
                """, as: String.self)
            if let outside = outside.first {
                try await app.call(.post, Self.path, token: prescriber, json: Self.body(drug: outside, patient: "P-0002"))
                    .expectProblem(.unprocessableContent, naming: "drugCode")
            }
            try await app.call(
                .post, Self.path, token: prescriber, json: Self.body(drug: drug, patient: "P-0003", dispensing: "CY-BJL-CHC")
            ).expectProblem(.unprocessableContent, naming: "dispensingInstitutionCode")
            try await app.call(
                .post, Self.path, token: prescriber,
                json: Self.body(
                    drug: drug, patient: "P-0004", extra: #", "businessDate": "\#(BusinessDate.today().adding(days: -10))""#)
            ).expectProblem(.unprocessableContent, naming: "businessDate")
            try await app.call(
                .post, Self.path, token: prescriber, json: Self.body(drug: drug, patient: "P-0005", dispensing: "NO-SUCH")
            ).expectProblem(.unprocessableContent, naming: "dispensingInstitutionCode")
            // A bound token names its own prescriber; a pharmacist does not issue.
            let bound = try await app.token(.prescriber, institution: "CY-BJL-CHC", prescriber: "DR-CY-0002")
            try await app.call(.post, Self.path, token: bound, json: Self.body(drug: drug, patient: "P-0006"))
                .expectProblem(.unprocessableContent, naming: "prescriber")
            let pharmacist = try await app.token(.institutionPharmacist, institution: "CY-BJL-CHC")
            try await app.call(.post, Self.path, token: pharmacist, json: Self.body(drug: drug, patient: "P-0007"))
                .expectProblem(.forbidden)
            #expect(
                try await app.count("SELECT count(*)::int FROM extended_prescriptions WHERE patient_ref NOT LIKE 'P-EXT-%'") == 1)
        }
    }

    @Test("Idempotency-Key: a retried issue answers the first one, once recorded; the key with another request is 422")
    func idempotentIssue() async throws {
        try await TestApp.run { app in
            let drug = try await Self.drugOutOfStock(app)
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "his-0001"]
            let first = try await app.call(
                .post, Self.path, token: prescriber, json: Self.body(drug: drug, patient: "P-0101"), headers: key)
            #expect(first.status == .created, "\(first.text)")
            let again = try await app.call(
                .post, Self.path, token: prescriber, json: Self.body(drug: drug, patient: "P-0101"), headers: key)
            #expect(again.json["id"] as? Int == first.json["id"] as? Int, "\(again.text)")
            #expect(
                try await app.count("SELECT count(*)::int FROM extended_prescriptions WHERE patient_ref = 'P-0101'") == 1)
            try await app.call(
                .post, Self.path, token: prescriber, json: Self.body(drug: drug, patient: "P-0102"), headers: key
            ).expectProblem(.unprocessableContent, naming: "Idempotency-Key")
            #expect(
                try await app.count("SELECT count(*)::int FROM extended_prescriptions WHERE patient_ref = 'P-0102'") == 0)
        }
    }

    @Test("review by the dispensing pharmacist: approve (deadline), refuse with a reason; other states 409; one winner")
    func review() async throws {
        try await TestApp.run { app in
            let drug = try await Self.drugOutOfStock(app)
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            var ids: [Int] = []
            for patient in ["P-0001", "P-0002", "P-0003"] {
                let issued = try await app.call(
                    .post, Self.path, token: prescriber, json: Self.body(drug: drug, patient: patient))
                #expect(issued.status == .created, "\(issued.text)")
                ids.append(try #require(issued.json["id"] as? Int))
            }
            let dispensing = try await app.token(.institutionPharmacist, institution: "JL-TCMH")
            let ownPharmacist = try await app.token(.institutionPharmacist, institution: "CY-BJL-CHC")
            let approve = #"{"decision": "approve"}"#
            try await app.call(.post, "\(Self.path)/\(ids[0])/review", token: prescriber, json: approve).expectProblem(.forbidden)
            try await app.call(.post, "\(Self.path)/\(ids[0])/review", token: ownPharmacist, json: approve)
                .expectProblem(.forbidden)
            let approved = try await app.call(.post, "\(Self.path)/\(ids[0])/review", token: dispensing, json: approve)
            #expect(approved.status == .ok, "\(approved.text)")
            #expect(approved.json["state"] as? String == "approved")
            #expect(approved.json["deliveryDueAt"] != nil)
            let twice = try await app.call(
                .post, "\(Self.path)/\(ids[0])/review", token: dispensing, json: approve, headers: [.acceptLanguage: "zh"])
            twice.expectProblem(.conflict)
            #expect((twice.json["detail"] as? String)?.contains("approved") == true, "\(twice.text)")
            // A refusal says why (422 naming reason), and the prescriber reads it.
            try await app.call(.post, "\(Self.path)/\(ids[1])/review", token: dispensing, json: #"{"decision": "refuse"}"#)
                .expectProblem(.unprocessableContent, naming: "reason")
            let refused = try await app.call(
                .post, "\(Self.path)/\(ids[1])/review", token: dispensing,
                json: #"{"decision": "refuse", "reason": "剂量需复核"}"#)
            #expect(refused.json["state"] as? String == "refused", "\(refused.text)")
            let read = try await app.call(.get, "\(Self.path)/\(ids[1])", token: prescriber)
            #expect(read.json["refusalReason"] as? String == "剂量需复核", "\(read.text)")
            // Two pharmacists approving at once: one wins, the other finds it approved.
            let racing = "\(Self.path)/\(ids[2])/review"
            async let a = app.call(.post, racing, token: dispensing, json: approve)
            async let b = app.call(.post, racing, token: dispensing, json: approve)
            let statuses = [try await a, try await b].map(\.status.code).sorted()
            #expect(statuses == [200, 409], "\(statuses)")
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'extended_prescription' AND action IN ('approve', 'refuse') AND \(unescaped: Self.notSeeded)"
                )
                    == 3)
            try await app.call(.post, "\(Self.path)/999999/review", token: dispensing, json: approve).expectProblem(.notFound)
        }
    }

    @Test("cancel with a reason until collected; a final state is 409; the supply it held is free again")
    func cancel() async throws {
        try await TestApp.run { app in
            let drug = try await Self.drugOutOfStock(app)
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let issued = try await app.call(.post, Self.path, token: prescriber, json: Self.body(drug: drug))
            let id = try #require(issued.json["id"] as? Int, "\(issued.text)")
            let dispensing = try await app.token(.institutionPharmacist, institution: "JL-TCMH")
            try await app.call(.post, "\(Self.path)/\(id)/review", token: dispensing, json: #"{"decision": "approve"}"#)
            try await app.call(.post, "\(Self.path)/\(id)/cancel", token: prescriber, json: #"{"reason": " "}"#)
                .expectProblem(.unprocessableContent, naming: "reason")
            let other = try await app.token(.institutionPharmacist, institution: "YJ-TCMH")
            try await app.call(.post, "\(Self.path)/\(id)/cancel", token: other, json: #"{"reason": "x"}"#)
                .expectProblem(.forbidden)
            let cancelled = try await app.call(
                .post, "\(Self.path)/\(id)/cancel", token: prescriber, json: #"{"reason": "患者改为住院治疗"}"#)
            #expect(cancelled.status == .ok, "\(cancelled.text)")
            #expect(cancelled.json["state"] as? String == "cancelled")
            #expect(cancelled.json["cancelReason"] as? String == "患者改为住院治疗")
            try await app.call(.post, "\(Self.path)/\(id)/cancel", token: dispensing, json: #"{"reason": "again"}"#)
                .expectProblem(.conflict)
            try await app.call(.post, "\(Self.path)/\(id)/review", token: dispensing, json: #"{"decision": "approve"}"#)
                .expectProblem(.conflict)
            let reissued = try await app.call(.post, Self.path, token: prescriber, json: Self.body(drug: drug))
            #expect(reissued.status == .created, "\(reissued.text)")
        }
    }

    @Test("GET …/e-prescription: the insurance record in the platform's names, valid today; unknown 404, id 0 is 400")
    func record() async throws {
        try await TestApp.run { app in
            let drug = try await Self.drugOutOfStock(app)
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let issued = try await app.call(.post, Self.path, token: prescriber, json: Self.body(drug: drug))
            let id = try #require(issued.json["id"] as? Int, "\(issued.text)")
            let auditor = try await app.token(.auditor)
            let record = try await app.call(.get, "\(Self.path)/\(id)/e-prescription", token: auditor)
            #expect(record.status == .ok, "\(record.text)")
            #expect(record.json["rxTraceCode"] as? String == issued.json["rxTraceCode"] as? String)
            #expect(record.json["hiRxno"] as? String == "")
            #expect(record.json["valiDays"] as? Int == 3)
            #expect(record.json["valiEndTime"] as? String == BusinessDate.today().adding(days: 3).description)
            #expect(record.json["longRxFlag"] as? String == "1")
            #expect(record.json["reptFlag"] as? String == "0")
            #expect(record.json["rxStasCodg"] as? Int == 1, "\(record.text)")
            let line = try #require((record.json["rxdrugdetail"] as? [[String: Any]])?.first, "\(record.text)")
            #expect(line["medListCodg"] as? String == drug)
            #expect(line["fixmedinsHilistId"] as? String == drug)
            #expect(line["drugTotlcnt"] as? String == "56")
            #expect(line["prdDays"] as? Int == 28)
            #expect(line["hospPrepFlag"] as? String == "0")
            try await app.call(.get, "\(Self.path)/999999/e-prescription", token: auditor).expectProblem(.notFound)
            try await app.call(.get, "\(Self.path)/0/e-prescription", token: auditor).expectProblem(.badRequest)
        }
    }

    @Test("lists by side and state: the review queue at the dispensing member, the issuer's own, nothing for others")
    func lists() async throws {
        try await TestApp.run { app in
            let drug = try await Self.drugOutOfStock(app)
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            for patient in ["P-0001", "P-0002"] {
                try await app.call(.post, Self.path, token: prescriber, json: Self.body(drug: drug, patient: patient))
            }
            let list = "/v1/consortia/JLTCM/extended-prescriptions"
            let dispensing = try await app.token(.institutionPharmacist, institution: "JL-TCMH")
            let queue = try await app.call(.get, "\(list)?side=dispensing&state=requested", token: dispensing)
            #expect(Self.ours(queue).count == 2, "\(queue.text)")
            let asIssuer = try await app.call(.get, "\(list)?side=issuer", token: dispensing)
            #expect(Self.ours(asIssuer).isEmpty, "\(asIssuer.text)")
            let own = try await app.call(.get, "\(list)?side=issuer&state=requested", token: prescriber)
            #expect(Self.ours(own).count == 2, "\(own.text)")
            let other = try await app.token(.institutionPharmacist, institution: "YJ-TCMH")
            let none = try await app.call(.get, list, token: other)
            #expect(Self.ours(none).isEmpty, "\(none.text)")
            let auditor = try await app.token(.auditor)
            let all = try await app.call(.get, "\(list)?state=approved", token: auditor)
            #expect(Self.ours(all).isEmpty, "\(all.text)")
            try await app.call(.get, "\(list)?state=lost", token: auditor).expectProblem(.badRequest)
            // Keyset pages of one, newest first: every prescription once, then no cursor.
            var seen: [Int] = []
            var cursor: String? = nil
            repeat {
                let page = try await app.call(
                    .get, "\(list)?side=issuer&state=requested&limit=1" + (cursor.map { "&cursor=\($0)" } ?? ""),
                    token: prescriber)
                #expect(page.status == .ok, "\(page.text)")
                seen += (page.json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
                cursor = page.json["nextCursor"] as? String
            } while cursor != nil && seen.count < 20
            #expect(seen == seen.sorted(by: >) && Set(seen).count == seen.count && seen.count >= 2, "\(seen)")
            try await app.call(.get, "\(list)?cursor=%25%25", token: auditor).expectProblem(.badRequest)
        }
    }
}
