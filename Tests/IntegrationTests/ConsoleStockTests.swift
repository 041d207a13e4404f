import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// Issue 27: stock in the console: on hand per member and location, near expiry and expired, downloaded for Excel,
/// and where a lot is; with the API's permissions and figures.
@Suite("Console stock")
struct ConsoleStockTests {
    @Test("27: a member's pharmacist sees its own stock as the API lists it, narrowed by expiry, and downloads it for Excel")
    func memberStock() async throws {
        try await TestApp.run { app in
            let member = "YJ-TCMH"
            let token = try await app.token(.institutionPharmacist, institution: member)
            let api = try await app.call(.get, "/v1/institutions/\(member)/stock?limit=50", token: token)
            let items = try #require(api.json["items"] as? [[String: Any]], "\(api.text)")
            #expect(!items.isEmpty)

            var (jar, _) = try await ConsoleCatalogueTests.session(app, "pharm", .institutionPharmacist, institution: member)
            let home = try await ConsoleTests.get(app, "/console/", jar: &jar)
            #expect(home.text.contains(#"href="/console/stock""#))
            let page = try await ConsoleTests.get(app, "/console/stock", jar: &jar)
            #expect(page.status == .ok)
            let rows = ConsoleReconciliationTests.rows(page.text, id: "stock")
            #expect(rows.count == items.count)
            #expect(
                rows.first?[0] == items.first?["drugCode"] as? String && rows.first?[2] == items.first?["lotNumber"] as? String)
            #expect(!page.text.contains(#"id="s-member""#), "a member's pharmacist chooses no other member")

            let expiredAPI = try await app.call(.get, "/v1/institutions/\(member)/stock?expiry=expired&limit=200", token: token)
            let expired = try await ConsoleTests.get(app, "/console/stock?expiry=expired", jar: &jar)
            let expiredRows = ConsoleReconciliationTests.rows(expired.text, id: "stock").filter { $0.count > 1 }
            #expect(expiredRows.count == (expiredAPI.json["items"] as? [Any])?.count)
            #expect(expiredRows.allSatisfy { $0[6] == "已过期" }, "\(expiredRows)")

            let all = try await app.call(.get, "/v1/institutions/\(member)/stock?limit=200", token: token)
            let csv = try await ConsoleTests.get(app, "/console/stock?format=csv", jar: &jar)
            #expect(csv.headers[.contentDisposition]?.contains("filename*=UTF-8''") == true)
            #expect(csv.text.hasPrefix("\u{FEFF}药品编码,药品名称,批号,有效期至,库位,数量,单位,效期,可否发药\r\n"), "\(csv.text.prefix(200))")
            let lines = csv.text.split(separator: "\r\n")
            #expect(lines.count - 1 == (all.json["items"] as? [Any])?.count, "every lot, not one page")

            // Another member's stock, and where-is-lot, are not a member pharmacist's.
            #expect(try await ConsoleTests.get(app, "/console/stock?member=JL-TCMH", jar: &jar).status == .forbidden)
            #expect(try await ConsoleTests.get(app, "/console/stock/lot", jar: &jar).status == .forbidden)
            let bad = try await ConsoleTests.get(app, "/console/stock?expiry=soon", jar: &jar)
            #expect(bad.status.code / 100 == 4 && bad.text.contains("expiry"), "\(bad.text)")
        }
    }

    @Test("27: the consortium admin chooses any member, and finds where a recalled lot is, as the API does")
    func whereIsLot() async throws {
        try await TestApp.run { app in
            var (jar, _) = try await ConsoleCatalogueTests.session(app, "admin", .consortiumAdmin, institution: nil)
            let lead = try await ConsoleTests.get(app, "/console/stock?blocked=1&member=JL-TCMH", jar: &jar)
            #expect(lead.status == .ok && lead.text.contains(#"<option value="YJ-TCMH""#))
            let blocked = ConsoleReconciliationTests.rows(lead.text, id: "stock").filter { $0.count > 1 }
            let recalled = try #require(blocked.first, "the demo recalls a lot of the lead's")
            #expect(recalled[7] == "召回封存", "\(recalled)")

            let token = try await app.token(.consortiumAdmin)
            let api = try await app.call(
                .get,
                "/v1/consortia/JLTCM/lots/\(recalled[0])/\(recalled[2])/whereabouts".addingPercentEncoding(
                    withAllowedCharacters: .urlPathAllowed)!,
                token: token)
            let holdings = try #require(api.json["holdings"] as? [[String: Any]], "\(api.text)")
            let page = try await ConsoleTests.get(
                app,
                "/console/stock/lot?drug=\(recalled[0])&lot=\(recalled[2].addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)",
                jar: &jar)
            #expect(page.status == .ok)
            let rows = ConsoleReconciliationTests.rows(page.text, id: "lot-holdings")
            #expect(rows.map { $0[0] }.sorted() == holdings.compactMap { $0["institutionCode"] as? String }.sorted(), "\(rows)")
            #expect(ConsoleReconciliationTests.rows(page.text, id: "lot-blocks").first?.first == "召回封存")
        }
    }

    @Test(
        "27: the consortium admin recalls a lot from where it is: without the regulator's notice it is refused beside the field, with it the lot is blocked everywhere"
    )
    func recall() async throws {
        try await TestApp.run { app in
            var (jar, csrf) = try await ConsoleCatalogueTests.session(app, "admin", .consortiumAdmin, institution: nil)
            let (drug, lot) = try #require(
                try await app.database.rows(
                    """
                    SELECT h.drug_code, h.lot_number FROM stock_on_hand h JOIN institutions i ON i.id = h.institution_id
                    WHERE i.code = 'YJ-TCMH' AND h.quantity > 0 ORDER BY h.drug_code, h.lot_number LIMIT 1
                    """, as: (String, String).self
                ).first)
            let blocks: PostgresQuery = "SELECT count(*)::int FROM lot_blocks WHERE released_at IS NULL"
            let before = try await app.count(blocks)
            let page = try await ConsoleTests.get(app, "/console/stock/lot?drug=\(drug)&lot=\(lot)", jar: &jar)
            #expect(page.text.contains(#"id="recall-form""#))
            let bare = try await ConsoleCatalogueTests.post(
                app, "/console/stock/lot/recall",
                [("csrf", csrf), ("drug", drug), ("lot", lot), ("notice", ""), ("reason", "抽检不合格")],
                jar: &jar)
            #expect(bare.status == .unprocessableContent && bare.text.contains(#"id="rc-notice-error""#), "\(bare.status)")
            #expect(try await app.count(blocks) == before)
            let recalled = try await ConsoleCatalogueTests.post(
                app, "/console/stock/lot/recall",
                [("csrf", csrf), ("drug", drug), ("lot", lot), ("notice", "吉药监召〔2026〕9号"), ("reason", "抽检不合格")], jar: &jar)
            #expect(recalled.status.code / 100 == 3, "\(recalled.status) \(recalled.text)")
            #expect(try await app.count(blocks) == before + 1)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'lot_block' AND actor = 'user:admin'") == 1)

            // A member's pharmacist has no recall form, and may not post one.
            var (pharm, pharmCSRF) = try await ConsoleCatalogueTests.session(
                app, "pharm", .institutionPharmacist, institution: "YJ-TCMH")
            let refused = try await ConsoleCatalogueTests.post(
                app, "/console/stock/lot/recall",
                [("csrf", pharmCSRF), ("drug", drug), ("lot", lot), ("notice", "x"), ("reason", "y")], jar: &pharm)
            #expect(refused.status == .forbidden)
        }
    }
}
