import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// Issue 27: count sheets (盘点) in the console: a member's pharmacist opens one, enters counted quantities in
/// sittings, and a second person approves it (the differences post as count surplus and loss); through
/// `StockCountUseCases`, each step with its audit row.
@Suite("Console stock counts")
struct ConsoleStockCountTests {
    typealias D = StockDocumentTests

    /// The sheet's lines as its page shows them: drug, lot, expected.
    static func lines(_ html: String) -> [(drug: String, lot: String, expected: String)] {
        ConsoleReconciliationTests.rows(html, id: "stock-count-lines").filter { $0.count >= 4 }.map { ($0[0], $0[1], $0[3]) }
    }

    @Test(
        "27: open, a negative count refused beside its box with nothing written, counts in two sittings, the counter may not approve, a second person approves and the difference posts"
    )
    func openCountApprove() async throws {
        try await TestApp.run { app in
            let drug = try await D.drug(in: "JL-TCMH", app)
            try await D.stock(app, "JL-TCMH", drug, "L-COUNT", days: 300, 10)
            let before = try await D.onHand(app, "JL-TCMH", drug, lot: "L-COUNT")
            var (counter, csrf) = try await ConsoleCatalogueTests.session(
                app, "pharm-jl", .institutionPharmacist, institution: "JL-TCMH")

            let list = try await ConsoleTests.get(app, "/console/stock/counts", jar: &counter)
            #expect(list.status == .ok && list.text.contains(#"id="count-open""#), "\(list.text)")
            let badLocation = try await ConsoleCatalogueTests.post(
                app, "/console/stock/counts", [("csrf", csrf), ("member", "JL-TCMH"), ("location", "NO-SUCH")],
                jar: &counter)
            #expect(badLocation.status == .unprocessableContent && badLocation.text.contains(#"id="sc-location-error""#))
            #expect(try await app.count("SELECT count(*)::int FROM stock_counts") == 0)

            let opened = try await ConsoleCatalogueTests.post(
                app, "/console/stock/counts", [("csrf", csrf), ("member", "JL-TCMH")], jar: &counter)
            #expect(opened.status.code / 100 == 3, "\(opened.status) \(opened.text)")
            let id = try #require(try await app.database.rows("SELECT id FROM stock_counts", as: Int64.self).first)
            let sheet = try await ConsoleTests.get(app, "/console/stock/counts/\(id)", jar: &counter)
            #expect(sheet.text.contains(#"<td id="count-status">盘点中</td>"#))
            let lines = Self.lines(sheet.text)
            let mine = try #require(lines.firstIndex { $0.drug == drug && $0.lot == "L-COUNT" }, "\(lines)")
            #expect(lines[mine].expected == String(before))

            // A negative count: refused beside its own box, what was typed kept, nothing entered.
            func form(_ counted: (Int) -> String) -> [(String, String)] {
                [("csrf", csrf)]
                    + lines.indices.flatMap { i in
                        [("entry_drug", lines[i].drug), ("entry_lot", lines[i].lot), ("entry_counted", counted(i))]
                    }
            }
            let negative = try await ConsoleCatalogueTests.post(
                app, "/console/stock/counts/\(id)/enter", form { $0 == mine ? "-2" : "" }, jar: &counter)
            #expect(negative.status == .unprocessableContent, "\(negative.status)")
            #expect(negative.text.contains(#"id="cnt-\#(mine)-error""#) && negative.text.contains(#"value="-2""#))
            #expect(negative.text.contains("有 1 行需要更正"))
            #expect(try await app.count("SELECT count(*)::int FROM stock_count_lines WHERE counted IS NOT NULL") == 0)

            // Approving before every line is counted names the lines not counted yet.
            if lines.count > 1 {
                _ = try await ConsoleCatalogueTests.post(
                    app, "/console/stock/counts/\(id)/enter", form { $0 == mine ? "7" : "" }, jar: &counter)
                var (other, otherCSRF) = try await ConsoleCatalogueTests.session(
                    app, "pharm-jl2", .institutionPharmacist, institution: "JL-TCMH")
                let early = try await ConsoleCatalogueTests.post(
                    app, "/console/stock/counts/\(id)/approve", [("csrf", otherCSRF)], jar: &other)
                #expect(early.status == .unprocessableContent, "\(early.status)")
                #expect(early.text.contains(#"id="cnt-\#(mine == 0 ? 1 : 0)-error""#))
            }
            // Second sitting: every line, ours three short.
            let entered = try await ConsoleCatalogueTests.post(
                app, "/console/stock/counts/\(id)/enter", form { $0 == mine ? "7" : lines[$0].expected }, jar: &counter)
            #expect(entered.status.code / 100 == 3, "\(entered.status) \(entered.text)")

            // The counter is not offered approval, and is refused if they try.
            let own = try await ConsoleTests.get(app, "/console/stock/counts/\(id)", jar: &counter)
            #expect(own.text.contains(#"id="count-second-person""#) && !own.text.contains(#"id="count-approve""#))
            let self_ = try await ConsoleCatalogueTests.post(
                app, "/console/stock/counts/\(id)/approve", [("csrf", csrf)], jar: &counter)
            #expect(self_.status == .forbidden)

            var (second, secondCSRF) = try await ConsoleCatalogueTests.session(
                app, "pharm-jl2", .institutionPharmacist, institution: "JL-TCMH")
            let offered = try await ConsoleTests.get(app, "/console/stock/counts/\(id)", jar: &second)
            #expect(offered.text.contains(#"id="count-approve""#))
            let approved = try await ConsoleCatalogueTests.post(
                app, "/console/stock/counts/\(id)/approve", [("csrf", secondCSRF)], jar: &second)
            #expect(approved.status.code / 100 == 3, "\(approved.status) \(approved.text)")
            #expect(try await D.onHand(app, "JL-TCMH", drug, lot: "L-COUNT") == before - 3)
            let after = try await ConsoleTests.get(app, "/console/stock/counts/\(id)?done=count_approved", jar: &second)
            #expect(after.text.contains("已审核，差异已按盘盈、盘亏过账") && after.text.contains("−3"))
            #expect(!after.text.contains(#"id="count-enter-submit""#) && !after.text.contains(#"name="entry_counted""#))
            // Opened, entered twice (the refused entry wrote nothing), approved.
            #expect(try await D.audits(app, "stock_count") == (lines.count > 1 ? 4 : 3))
        }
    }

    @Test("27: a sheet cancelled posts nothing; another member's pharmacist finds no sheet (404)")
    func cancelAndScope() async throws {
        try await TestApp.run { app in
            let drug = try await D.drug(in: "JL-TCMH", app)
            try await D.stock(app, "JL-TCMH", drug, "L-CANCEL", days: 300, 4)
            var (jar, csrf) = try await ConsoleCatalogueTests.session(
                app, "pharm-jl", .institutionPharmacist, institution: "JL-TCMH")
            _ = try await ConsoleCatalogueTests.post(app, "/console/stock/counts", [("csrf", csrf)], jar: &jar)
            let id = try #require(try await app.database.rows("SELECT id FROM stock_counts", as: Int64.self).first)
            var (other, _) = try await ConsoleCatalogueTests.session(
                app, "pharm-yj", .institutionPharmacist, institution: "YJ-TCMH")
            #expect(try await ConsoleTests.get(app, "/console/stock/counts/\(id)", jar: &other).status == .notFound)
            let cancelled = try await ConsoleCatalogueTests.post(
                app, "/console/stock/counts/\(id)/cancel", [("csrf", csrf)], jar: &jar)
            #expect(cancelled.status.code / 100 == 3, "\(cancelled.status) \(cancelled.text)")
            let page = try await ConsoleTests.get(app, "/console/stock/counts?member=JL-TCMH", jar: &jar)
            #expect(ConsoleReconciliationTests.rows(page.text, id: "stock-counts").first?.last == "已作废")
            #expect(try await D.onHand(app, "JL-TCMH", drug, lot: "L-CANCEL") == 4)
            let again = try await ConsoleCatalogueTests.post(
                app, "/console/stock/counts/\(id)/cancel", [("csrf", csrf)], jar: &jar)
            #expect(again.status == .conflict && again.text.contains(#"id="refusal""#))
        }
    }

    @Test("27: the consortium admin releases a recall from the lot's page; a blank reason is refused and nothing changes")
    func releaseRecall() async throws {
        try await TestApp.run { app in
            var (jar, csrf) = try await ConsoleCatalogueTests.session(app, "admin", .consortiumAdmin, institution: nil)
            let (id, drug, lot) = try #require(
                try await app.database.rows(
                    "SELECT id, drug_code, lot_number FROM lot_blocks WHERE released_at IS NULL ORDER BY id LIMIT 1",
                    as: (Int64, String, String).self
                ).first, "the demo recalls a lot")
            let href = "/console/stock/lot?drug=\(drug)&lot=\(lot.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
            let page = try await ConsoleTests.get(app, href, jar: &jar)
            #expect(page.text.contains(#"id="release-\#(id)""#))
            let standing: PostgresQuery = "SELECT count(*)::int FROM lot_blocks WHERE released_at IS NULL"
            let before = try await app.count(standing)
            let blank = try await ConsoleCatalogueTests.post(
                app, "/console/stock/lot/release",
                [("csrf", csrf), ("block", String(id)), ("drug", drug), ("lot", lot), ("release_reason", " ")], jar: &jar)
            #expect(blank.status == .unprocessableContent && blank.text.contains(#"id="refusal""#), "\(blank.status)")
            #expect(try await app.count(standing) == before)
            let released = try await ConsoleCatalogueTests.post(
                app, "/console/stock/lot/release",
                [("csrf", csrf), ("block", String(id)), ("drug", drug), ("lot", lot), ("release_reason", "复检合格")],
                jar: &jar)
            #expect(released.status.code / 100 == 3, "\(released.status) \(released.text)")
            #expect(try await app.count(standing) == before - 1)
            #expect(try await D.audits(app, "lot_block") >= 1)
            var (pharmacist, pharmacistCSRF) = try await ConsoleCatalogueTests.session(
                app, "pharm-yj", .institutionPharmacist, institution: "YJ-TCMH")
            let refused = try await ConsoleCatalogueTests.post(
                app, "/console/stock/lot/release",
                [("csrf", pharmacistCSRF), ("block", String(id)), ("drug", drug), ("lot", lot), ("release_reason", "x")],
                jar: &pharmacist)
            #expect(refused.status == .forbidden)
        }
    }
}
