import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// Issue 27: joint herb procurement in the console: the rounds, a round's progress against commitments with the
/// period's pace as the target, and the ranking; a member sees its own progress only.
@Suite("Console herb rounds")
struct ConsoleHerbTests {
    typealias H = HerbProcurementTests

    @Test(
        "27: a round's progress equals the API's, drawn against the pace; the ranking shows the award; a member sees its own rows"
    )
    func roundProgress() async throws {
        try await TestApp.run { app in
            let t = try await H.tokens(app)
            let round = try await H.awardedRound(app, t)
            _ = try await H.move(app, t.leadOfficer, round: round, "execute")
            #expect(
                try await ProcurementTests.order(app, t.sl, institution: "SL-TCMH", [(H.astragalus, "50")]).status == .created)
            let today = BusinessDate.today()
            let api = try await app.call(.get, "/v1/herb-rounds/\(round)/progress?on=\(today)", token: t.admin)
            let apiRows = (api.json["rows"] as? [[String: Any]]) ?? []

            var (jar, _) = try await ConsoleCatalogueTests.session(app, "admin", .consortiumAdmin, institution: nil)
            let list = try await ConsoleTests.get(app, "/console/herbs", jar: &jar)
            #expect(list.status == .ok && list.text.contains(#"href="/console/herbs/\#(round)""#))
            let page = try await ConsoleTests.get(app, "/console/herbs/\(round)", jar: &jar)
            #expect(page.status == .ok)
            #expect(page.text.contains("<svg") && page.text.contains(#"class="target""#), "the chart with its pace line")
            let rows = ConsoleReconciliationTests.rows(page.text, id: "herb-progress")
            #expect(rows.count == apiRows.count)
            let sl = try #require(rows.first { $0[0] == "SL-TCMH" && $0[1].hasPrefix(H.astragalus) })
            #expect(sl[2] == "300" && sl[3] == "50" && sl[6] == "16.7%" && sl[7] == "进度落后", "\(sl)")
            let ranking = ConsoleReconciliationTests.rows(page.text, id: "herb-ranking")
            #expect(ranking.contains { $0[2] == "MFR-029" && $0[5] == "中选" }, "\(ranking)")

            // The dashboard shows the round beside the national agreements: each member's mean over its items.
            let dashboard = try await ConsoleTests.get(app, "/console/dashboard", jar: &jar)
            let name = try #require(
                try await app.database.rows("SELECT name FROM herb_rounds WHERE id = \(Int64(round))", as: String.self).first)
            #expect(dashboard.text.contains("<h2>中药饮片联合带量采购完成进度：\(name)</h2>"), "\(dashboard.text)")

            var (member, _) = try await ConsoleCatalogueTests.session(app, "yj", .procurementOfficer, institution: "YJ-TCMH")
            let own = try await ConsoleTests.get(app, "/console/herbs/\(round)", jar: &member)
            #expect(ConsoleReconciliationTests.rows(own.text, id: "herb-progress").allSatisfy { $0[0] == "YJ-TCMH" })
            #expect(try await ConsoleTests.get(app, "/console/herbs/999999", jar: &member).status == .notFound)
        }
    }
}

/// Issue 27: a herb round's writes in the console: the lead's moves, a member's commitments, bids, the award and
/// the lab's inspections with each measured value against its limit.
@Suite("Console herb round writes")
struct ConsoleHerbWriteTests {
    typealias H = HerbProcurementTests

    @Test(
        "27: the lead creates a round and adds an item (not a decoction piece refused beside the code); opens commitments; a member commits (blank: the proposal); the lead opens bidding, enters bids (over the ceiling refused beside the price) and awards"
    )
    func commitBidAward() async throws {
        try await TestApp.run { app in
            var (lead, leadCSRF) = try await ConsoleCatalogueTests.session(
                app, "lead", .procurementOfficer, institution: "JL-TCMH")
            let list = try await ConsoleTests.get(app, "/console/herbs", jar: &lead)
            #expect(list.text.contains(#"id="herb-round-new""#))
            let created = try await ConsoleCatalogueTests.post(
                app, "/console/herbs",
                [
                    ("csrf", leadCSRF), ("name", "2027 黄芪带量采购"), ("lead", "JL-TCMH"), ("start", H.start.description),
                    ("end", H.end.description), ("rule", "lowest_price"), ("margin", ""),
                ], jar: &lead)
            #expect(created.status.code / 100 == 3, "\(created.status) \(created.text)")
            let round = try #require(
                try await app.database.rows("SELECT id FROM herb_rounds ORDER BY id DESC LIMIT 1", as: Int64.self).first
                    .map(Int.init))
            func item(_ drug: String) async throws -> TestResponse {
                try await ConsoleCatalogueTests.post(
                    app, "/console/herbs/\(round)/items",
                    [
                        ("csrf", leadCSRF), ("item_drug", drug), ("item_ceiling", "80.00"), ("item_grade", ""),
                        ("item_standard", ""),
                    ],
                    jar: &lead)
            }
            let western = try await ProcurementTests.drugs(app, count: 1)[0].code
            let refusedItem = try await item(western)
            #expect(refusedItem.status == .unprocessableContent && refusedItem.text.contains(#"id="hn-drug-error""#))
            #expect(try await item(H.astragalus).status.code / 100 == 3)
            func move(_ action: String) async throws -> TestResponse {
                try await ConsoleCatalogueTests.post(
                    app, "/console/herbs/\(round)/move", [("csrf", leadCSRF), ("action", action)], jar: &lead)
            }
            let planning = try await ConsoleTests.get(app, "/console/herbs/\(round)", jar: &lead)
            #expect(planning.text.contains(#"id="herb-open_commitments""#) && !planning.text.contains(#"id="herb-award""#))
            #expect(try await move("award").status == .conflict, "a move the state does not allow is refused on the page")
            #expect(try await move("open_commitments").status.code / 100 == 3)

            var (member, memberCSRF) = try await ConsoleCatalogueTests.session(
                app, "yj", .procurementOfficer, institution: "YJ-TCMH")
            let open = try await ConsoleTests.get(app, "/console/herbs/\(round)", jar: &member)
            #expect(open.text.contains(#"id="herb-commit""#))
            let committed = try await ConsoleCatalogueTests.post(
                app, "/console/herbs/\(round)/commitments",
                [("csrf", memberCSRF), ("drug", H.astragalus), ("quantity", ""), ("reason", "")], jar: &member)
            #expect(committed.status.code / 100 == 3, "\(committed.status) \(committed.text)")
            let rows = ConsoleReconciliationTests.rows(
                try await ConsoleTests.get(app, "/console/herbs/\(round)", jar: &member).text, id: "herb-commitments")
            #expect(rows.count == 1 && rows[0][0] == "YJ-TCMH" && rows[0][2] == rows[0][4] && rows[0][5] == "已确认", "\(rows)")

            #expect(try await move("open_bidding").status.code / 100 == 3)
            func bid(_ supplier: String, _ price: String) async throws -> TestResponse {
                try await ConsoleCatalogueTests.post(
                    app, "/console/herbs/\(round)/bids",
                    [
                        ("csrf", leadCSRF), ("drug", H.astragalus), ("supplier", supplier), ("price", price), ("grade", "统货"),
                        ("origin", "甘肃陇西"), ("score", "90"), ("reference", "QR-1"),
                    ], jar: &lead)
            }
            let over = try await bid("MFR-029", "81.00")
            #expect(over.status == .unprocessableContent && over.text.contains(#"id="hb-price-error""#), "\(over.status)")
            #expect(try await bid("MFR-029", "75.00").status.code / 100 == 3)
            #expect(try await move("award").status.code / 100 == 3)
            let awarded = try await ConsoleTests.get(app, "/console/herbs/\(round)", jar: &lead)
            #expect(ConsoleReconciliationTests.rows(awarded.text, id: "herb-items").first?[4] == "¥75.00")
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type IN ('herb_round', 'herb_commitment', 'herb_bid')") >= 5
            )
        }
    }

    @Test(
        "27: the lab records a lot's inspection with each measured value against its limit: one over its limit rejects the lot and blocks it; a negative value is refused beside its box"
    )
    func inspect() async throws {
        try await TestApp.run { app in
            let t = try await H.tokens(app)
            let round = try await H.awardedRound(app, t)
            var (lab, csrf) = try await ConsoleCatalogueTests.session(app, "lab", .institutionPharmacist, institution: "JL-TCMH")
            let page = try await ConsoleTests.get(app, "/console/herbs/\(round)", jar: &lab)
            #expect(page.text.contains(#"id="herb-inspect""#))
            // 陈皮's limits in the table: moisture 13.
            let limits = ConsoleReconciliationTests.rows(page.text, id: "herb-limits")
            #expect(limits.contains { $0[0].hasPrefix(H.tangerine) && $0[1] == "13" }, "\(limits)")
            func inspect(_ lot: String, moisture: String) async throws -> TestResponse {
                try await ConsoleCatalogueTests.post(
                    app, "/console/herbs/\(round)/inspections",
                    [
                        ("csrf", csrf), ("drug", H.tangerine), ("lot", lot), ("supplier", "MFR-029"),
                        ("inspected_on", BusinessDate.today().description), ("identification", "passed"),
                        ("moisturePct", moisture), ("totalAshPct", ""), ("sulfurDioxideMgPerKg", "20"), ("leadMgPerKg", "1.2"),
                        ("cadmiumMgPerKg", "0.1"), ("arsenicMgPerKg", "0.5"), ("mercuryMgPerKg", "0.05"),
                        ("copperMgPerKg", "6"), ("aflatoxinB1UgPerKg", "1.0"), ("aflatoxinsTotalUgPerKg", "2.0"),
                    ], jar: &lab)
            }
            let negative = try await inspect("CP-NEG", moisture: "-1")
            #expect(negative.status == .unprocessableContent && negative.text.contains(#"id="hi-moisturePct-error""#))
            #expect(try await app.count("SELECT count(*)::int FROM herb_inspections") == 0)
            let passed = try await inspect("CP-OK", moisture: "10.5")
            #expect(passed.headers[.location] == "/console/herbs/\(round)?done=herb_inspection_passed", "\(passed.text)")
            let rejected = try await inspect("CP-WET", moisture: "13.1")
            #expect(rejected.headers[.location] == "/console/herbs/\(round)?done=herb_inspection_rejected")
            let after = try await ConsoleTests.get(app, "/console/herbs/\(round)", jar: &lab)
            let rows = ConsoleReconciliationTests.rows(after.text, id: "herb-inspections")
            #expect(rows.count == 2 && rows[0][1] == "CP-WET" && rows[0][6] == "不合格", "\(rows)")
            #expect(rows[0][5].contains("水分（%） 13.1（≤ 13）"), "\(rows[0][5])")
            #expect(after.text.contains(#"<li class="over">水分（%） 13.1"#))
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM lot_blocks WHERE kind = 'inspection_rejection' AND lot_key = 'CP-WET'") == 1)
        }
    }
}
