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
