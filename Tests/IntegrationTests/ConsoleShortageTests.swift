import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// Issue 27: the shortage queue in the console, as the API lists it, with each record's members, signals and
/// actions, and the queue for Excel.
@Suite("Console shortages")
struct ConsoleShortageTests {
    typealias S = ShortageScanTests

    @Test(
        "27: the open shortages as the API lists them, narrowed by level; a record's signals; a member's pharmacist sees its own and the consortium's only"
    )
    func queue() async throws {
        try await TestApp.run { app in
            try await ShortageReadTests.prepare(app, on: S.today)
            let admin = try await app.token(.consortiumAdmin)
            let api = ShortageReadTests.items(try await app.call(.get, "\(ShortageReadTests.base)/shortages", token: admin))

            var (jar, _) = try await ConsoleCatalogueTests.session(app, "admin", .consortiumAdmin, institution: nil)
            let page = try await ConsoleTests.get(app, "/console/shortages", jar: &jar)
            #expect(page.status == .ok && page.text.contains(#"aria-current="page">短缺药品</a>"#))
            let rows = ConsoleReconciliationTests.rows(page.text, id: "shortages").filter { $0.count > 1 }
            #expect(rows.map { $0[1] } == api.compactMap { $0["drugCode"] as? String }, "\(rows)")
            let xshr02 = try #require(rows.first { $0[1] == "XSHR02" })
            #expect(xshr02[3] == "成员单位级")
            #expect(xshr02[8] == S.member)

            let member = try await ConsoleTests.get(app, "/console/shortages?level=member&member=\(S.member)", jar: &jar)
            let memberRows = ConsoleReconciliationTests.rows(member.text, id: "shortages").map { $0.count > 1 ? $0[1] : "" }
            #expect(memberRows.contains("XSHR02") && !memberRows.contains("XSHR01"), "\(memberRows)")

            let one = try await ConsoleTests.get(app, "/console/shortages/\(xshr02[0])", jar: &jar)
            #expect(one.status == .ok)
            #expect(ConsoleReconciliationTests.rows(one.text, id: "shortage-signals").first?.first == "库存不足")

            let csv = try await ConsoleTests.get(app, "/console/shortages?format=csv", jar: &jar)
            #expect(csv.text.hasPrefix("\u{FEFF}短缺编号,药品编码,药品名称,级别"), "\(csv.text.prefix(100))")
            #expect(csv.text.split(separator: "\r\n").count == api.count + 1)
            #expect(csv.headers[.contentDisposition]?.contains("filename*=UTF-8''") == true)

            let bad = try await ConsoleTests.get(app, "/console/shortages?level=severe", jar: &jar)
            #expect(bad.status.code / 100 == 4 && bad.text.contains("level"))

            var (other, _) = try await ConsoleCatalogueTests.session(
                app, "pharm", .institutionPharmacist, institution: S.otherMember)
            let theirs = try await ConsoleTests.get(app, "/console/shortages", jar: &other)
            let theirRows = ConsoleReconciliationTests.rows(theirs.text, id: "shortages").map { $0.count > 1 ? $0[1] : "" }
            #expect(theirRows.contains("XSHR01") && !theirRows.contains("XSHR02"), "\(theirRows)")
            #expect(try await ConsoleTests.get(app, "/console/shortages/\(xshr02[0])", jar: &other).status == .notFound)
            var (finance, _) = try await ConsoleCatalogueTests.session(app, "fin", .finance, institution: nil)
            #expect(try await ConsoleTests.get(app, "/console/shortages", jar: &finance).status == .forbidden)
        }
    }
}

/// Issue 27: the response to a shortage in the console (短缺应对), by `ShortageActionUseCases` as the API does.
@Suite("Console shortage response")
struct ConsoleShortageResponseTests {
    typealias A = ShortageActionTests

    @Test(
        "27: the supply centre proposes and accepts a redistribution, buys in an emergency (without a reason refused beside it, nothing written), closes and reopens; a member's pharmacist gets no forms"
    )
    func respond() async throws {
        let day = BusinessDate.today()
        try await StockLedgerTests.run(today: StockLedgerTests.Today(day)) { app in
            let (drug, _) = try await A.drugs(app)
            let id = try await A.scenario(app, drug: drug, today: day)
            var (jar, csrf) = try await ConsoleCatalogueTests.session(
                app, "centre", .procurementOfficer, institution: A.lead)
            func step(_ name: String, _ fields: [(String, String)] = []) async throws -> TestResponse {
                try await ConsoleCatalogueTests.post(
                    app, "/console/shortages/\(id)/\(name)", [("csrf", csrf)] + fields, jar: &jar)
            }
            let page = try await ConsoleTests.get(app, "/console/shortages/\(id)", jar: &jar)
            #expect(
                page.status == .ok && page.text.contains(#"id="shortage-propose""#)
                    && page.text.contains(#"id="shortage-emergency""#))

            #expect(try await step("propose").status.code / 100 == 3)
            let proposed = try await ConsoleTests.get(app, "/console/shortages/\(id)", jar: &jar)
            let proposals = ConsoleReconciliationTests.rows(proposed.text, id: "shortage-proposals").filter { $0.count > 2 }
            #expect(!proposals.isEmpty && proposals.allSatisfy { $0[0] == A.s || $0[0] == A.t }, "\(proposals)")
            let proposal = try #require(
                try await app.database.rows(
                    "SELECT id FROM shortage_proposals WHERE shortage_id = \(Int64(id)) AND status = 'proposed' ORDER BY id LIMIT 1",
                    as: Int64.self
                ).first)
            let accepted = try await step("accept", [("proposal", String(proposal)), ("reason", "就近调剂")])
            #expect(accepted.status.code / 100 == 3, "\(accepted.status) \(accepted.text)")
            #expect(try await app.count("SELECT count(*)::int FROM stock_transfers") >= 1)

            let actions: PostgresQuery = "SELECT count(*)::int FROM shortage_actions"
            let before = try await app.count(actions)
            let bare = try await step(
                "emergency_purchase",
                [
                    ("member", A.r2), ("supplier", ShortageEmergencyPurchaseTests.emergencySupplier), ("quantity", "5"),
                    ("reason", ""),
                ])
            #expect(bare.status == .unprocessableContent && bare.text.contains(#"id="se-reason-error""#), "\(bare.status)")
            #expect(try await app.count(actions) == before)
            let bought = try await step(
                "emergency_purchase",
                [
                    ("member", A.r2), ("supplier", ShortageEmergencyPurchaseTests.emergencySupplier), ("quantity", "5"),
                    ("reason", "常规配送企业断供"),
                ])
            #expect(bought.status.code / 100 == 3, "\(bought.status) \(bought.text)")
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM purchase_orders WHERE emergency_shortage_id = \(Int64(id))") == 1)
            let after = try await ConsoleTests.get(app, "/console/shortages/\(id)", jar: &jar)
            #expect(ConsoleReconciliationTests.rows(after.text, id: "shortage-actions").contains { $0[0].hasPrefix("应急采购") })

            // Still short at two members: "recovered" is refused beside the outcome; closing otherwise says why.
            let notRecovered = try await step("close", [("outcome", "recovered"), ("note", "")])
            #expect(notRecovered.status == .unprocessableContent && notRecovered.text.contains(#"id="sc-outcome-error""#))
            let noNote = try await step("close", [("outcome", "substituted"), ("note", "")])
            #expect(noNote.status == .unprocessableContent && noNote.text.contains(#"id="sc-note-error""#))
            #expect(try await step("close", [("outcome", "substituted"), ("note", "改用同类药品")]).status.code / 100 == 3)
            let closed = try await ConsoleTests.get(app, "/console/shortages/\(id)", jar: &jar)
            #expect(closed.text.contains(#"id="shortage-reopen""#) && !closed.text.contains(#"id="shortage-emergency""#))
            #expect(try await step("reopen").status.code / 100 == 3)

            var (pharm, _) = try await ConsoleCatalogueTests.session(
                app, "pharm", .institutionPharmacist, institution: A.r2)
            let theirs = try await ConsoleTests.get(app, "/console/shortages/\(id)", jar: &pharm)
            #expect(theirs.status == .ok && !theirs.text.contains(#"id="shortage-propose""#))
        }
    }
}
