import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// Issue 27: the extended-prescription queues in the console, as the API lists them, for the whole consortium and
/// for a member's side; the home page's "to review" leads to the dispensing side's queue.
@Suite("Console extended prescriptions")
struct ConsoleExtendedPrescriptionTests {
    static func ids(_ response: TestResponse) -> [String] {
        (response.json["items"] as? [[String: Any]] ?? []).compactMap { ($0["id"] as? Int).map(String.init) }
    }

    @Test("27: the queues by state and side equal the API's; the list downloads for Excel; a bad state names its field")
    func queues() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let all = try await app.call(.get, "/v1/consortia/JLTCM/extended-prescriptions?limit=50", token: admin)
            #expect(!Self.ids(all).isEmpty, "the demo has extended prescriptions")

            var (jar, _) = try await ConsoleCatalogueTests.session(app, "admin", .consortiumAdmin, institution: nil)
            let page = try await ConsoleTests.get(app, "/console/extended-prescriptions", jar: &jar)
            #expect(page.status == .ok && page.text.contains(#"aria-current="page">延伸处方</a>"#))
            #expect(!page.text.contains(#"id="ex-side""#), "the whole consortium has no side")
            let rows = ConsoleReconciliationTests.rows(page.text, id: "extended").filter { $0.count > 1 }
            #expect(rows.map { $0[0] } == Self.ids(all))

            let csv = try await ConsoleTests.get(app, "/console/extended-prescriptions?format=csv", jar: &jar)
            #expect(csv.text.hasPrefix("\u{FEFF}处方编号,开具时间,开具机构,调配机构,取药机构,患者编号"), "\(csv.text.prefix(80))")
            let bad = try await ConsoleTests.get(app, "/console/extended-prescriptions?state=lost", jar: &jar)
            #expect(bad.status.code / 100 == 4 && bad.text.contains("state"))

            // A member's pharmacist: the side it is on; the home page's to-review count leads to that queue.
            let member = try #require(
                try await app.database.rows(
                    "SELECT i.code FROM extended_prescriptions x JOIN institutions i ON i.id = x.dispensing_institution_id LIMIT 1",
                    as: String.self
                ).first)
            let token = try await app.token(.institutionPharmacist, institution: member)
            let api = try await app.call(
                .get, "/v1/consortia/JLTCM/extended-prescriptions?side=dispensing&limit=50", token: token)
            var (pharm, _) = try await ConsoleCatalogueTests.session(app, "pharm", .institutionPharmacist, institution: member)
            let mine = try await ConsoleTests.get(app, "/console/extended-prescriptions?side=dispensing", jar: &pharm)
            let mineRows = ConsoleReconciliationTests.rows(mine.text, id: "extended").filter { $0.count > 1 }
            #expect(mineRows.map { $0[0] } == Self.ids(api))
            #expect(mineRows.allSatisfy { $0[3] == member })
            let home = try await ConsoleTests.get(app, "/console/", jar: &pharm)
            #expect(home.text.contains("/console/extended-prescriptions?state=requested&amp;side=dispensing"), "\(home.text)")
        }
    }
}

/// Issue 27: one extended prescription's steps in the console, each offered only to its side and only in the state
/// that allows it, through `ExtendedPrescriptionUseCases` as the API does.
@Suite("Console extended prescription steps")
struct ConsoleExtendedPrescriptionStepTests {
    @Test(
        "27: the dispensing pharmacist refuses without a reason (refused beside the field), approves and dispatches; the collecting side confirms delivery and hands it over"
    )
    func reviewDispatchHandOver() async throws {
        try await TestApp.run { app in
            let (id, drug, quantity, dispensing, collecting) = try #require(
                try await app.database.rows(
                    """
                    SELECT x.id, l.drug_code, ceil(l.quantity)::int, d.code, c.code FROM extended_prescriptions x
                    JOIN extended_prescription_lines l ON l.consortium_id = x.consortium_id AND l.prescription_id = x.id
                    JOIN institutions d ON d.id = x.dispensing_institution_id
                    JOIN institutions c ON c.id = x.collecting_institution_id
                    WHERE x.state = 'requested' AND d.id <> c.id ORDER BY x.id LIMIT 1
                    """, as: (Int64, String, Int, String, String).self
                ).first, "the demo has a prescription waiting for review")
            try await StockDocumentTests.stock(app, dispensing, drug, "L-EXT", days: 500, quantity + 10)
            var (pharm, csrf) = try await ConsoleCatalogueTests.session(
                app, "disp", .institutionPharmacist, institution: dispensing)
            let page = try await ConsoleTests.get(app, "/console/extended-prescriptions/\(id)", jar: &pharm)
            #expect(
                page.status == .ok && page.text.contains(#"id="extended-approve""#)
                    && page.text.contains(#"id="extended-refuse""#))
            #expect(!page.text.contains(#"id="extended-dispatch""#) && !page.text.contains(#"id="extended-collect""#))
            func step(_ name: String, _ fields: [(String, String)] = [], jar: inout ConsoleTests.Jar, csrf: String)
                async throws -> TestResponse
            {
                try await ConsoleCatalogueTests.post(
                    app, "/console/extended-prescriptions/\(id)/\(name)", [("csrf", csrf)] + fields, jar: &jar)
            }
            let bare = try await step("refuse", [("reason", " ")], jar: &pharm, csrf: csrf)
            #expect(bare.status == .unprocessableContent && bare.text.contains(#"id="ex-reason-error""#), "\(bare.status)")
            #expect(try await step("approve", jar: &pharm, csrf: csrf).status.code / 100 == 3)
            let approved = try await ConsoleTests.get(app, "/console/extended-prescriptions/\(id)", jar: &pharm)
            #expect(approved.text.contains(#"id="extended-dispatch""#) && !approved.text.contains(#"id="extended-approve""#))
            let dispatched = try await step("dispatch", [("location", ""), ("lot", "L-EXT")], jar: &pharm, csrf: csrf)
            #expect(dispatched.status.code / 100 == 3, "\(dispatched.status) \(dispatched.text)")
            #expect(try await step("approve", jar: &pharm, csrf: csrf).status == .conflict, "approved already")

            var (collector, collectorCSRF) = try await ConsoleCatalogueTests.session(
                app, "coll", .institutionPharmacist, institution: collecting)
            #expect(try await step("deliver", jar: &collector, csrf: collectorCSRF).status.code / 100 == 3)
            let delivered = try await ConsoleTests.get(app, "/console/extended-prescriptions/\(id)", jar: &collector)
            #expect(delivered.text.contains(#"id="extended-collect""#))
            #expect(try await step("collect", jar: &collector, csrf: collectorCSRF).status.code / 100 == 3)
            #expect(
                try await app.database.rows("SELECT state FROM extended_prescriptions WHERE id = \(id)", as: String.self)
                    == ["collected"])
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'extended_prescription' AND entity_key = \(String(id))"
                ) >= 4)
            let list = try await ConsoleTests.get(app, "/console/extended-prescriptions", jar: &collector)
            #expect(list.text.contains(#"href="/console/extended-prescriptions/\#(id)""#))
        }
    }
}
