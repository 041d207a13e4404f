import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// Issue 27: a member's buyer raises an order in the console and edits its draft, through `OrderUseCases.create` and
/// `OrderUseCases.edit` as the API does; the orders download for Excel.
@Suite("Console order drafts")
struct ConsoleOrderDraftTests {
    @Test(
        "27: a new order from the form's filled rows; a drug outside the catalogue refused beside its row with nothing written; the same form sent twice raises one order"
    )
    func raise() async throws {
        try await TestApp.run { app in
            let drugs = try await ProcurementTests.drugs(app, count: 3).map(\.code)
            var (jar, csrf) = try await ConsoleCatalogueTests.session(app, "buyer", .procurementOfficer, institution: "YJ-TCMH")
            let list = try await ConsoleTests.get(app, "/console/orders", jar: &jar)
            #expect(list.text.contains(#"id="order-new""#))
            let key = try #require(
                list.text.range(of: #"name="idempotency_key" value="([^"]+)""#, options: .regularExpression).map {
                    String(list.text[$0].dropFirst(#"name="idempotency_key" value=""#.count).dropLast())
                })
            // The page's eight rows, as the browser sends them.
            func form(_ rows: [(String, String)]) -> [(String, String)] {
                var fields: [(String, String)] = [("csrf", csrf), ("idempotency_key", key)]
                for i in 0..<8 {
                    let (drug, quantity) = i < rows.count ? rows[i] : ("", "")
                    fields.append(("new_drug", drug))
                    fields.append(("new_quantity", quantity))
                }
                return fields
            }
            let orders: PostgresQuery = "SELECT count(*)::int FROM purchase_orders"
            let before = try await app.count(orders)
            // Row 0 good, row 1 blank, row 2 a drug nobody sells.
            let refused = try await ConsoleCatalogueTests.post(
                app, "/console/orders", form([(drugs[0], "5"), ("", ""), ("NO-SUCH-DRUG", "1")]), jar: &jar)
            #expect(refused.status == .unprocessableContent, "\(refused.status)")
            #expect(refused.text.contains(#"id="new-2-error""#) && !refused.text.contains(#"id="new-0-error""#))
            #expect(refused.text.contains(#"value="NO-SUCH-DRUG""#) && refused.text.contains("有 1 行需要更正"))
            #expect(try await app.count(orders) == before)

            let rows = [(drugs[0], "5"), ("", ""), (drugs[1], "1000")]
            let created = try await ConsoleCatalogueTests.post(app, "/console/orders", form(rows), jar: &jar)
            #expect(created.status.code / 100 == 3, "\(created.status) \(created.text)")
            let again = try await ConsoleCatalogueTests.post(app, "/console/orders", form(rows), jar: &jar)
            #expect(again.status.code / 100 == 3)
            #expect(try await app.count(orders) == before + 1, "the same form twice is one order")
            let id = try #require(
                try await app.database.rows("SELECT id FROM purchase_orders ORDER BY id DESC LIMIT 1", as: Int64.self).first)
            #expect(created.headers[.location] == "/console/orders/\(id)?done=order_created")
            let quantities = try await app.database.rows(
                "SELECT quantity FROM purchase_order_lines WHERE order_id = \(id) ORDER BY line_no", as: Decimal.self)
            #expect(quantities == [5, 1000])
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'purchase_order' AND entity_key = \(String(id))")
                    == 1)
        }
    }

    @Test(
        "27: a draft's line changed, removed and a drug added, each with its reason; without a reason refused beside the line; a submitted order offers no edits"
    )
    func editDraft() async throws {
        try await TestApp.run { app in
            let officer = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let drugs = try await ProcurementTests.drugs(app, count: 3).map(\.code)
            let id = try #require(
                try await ProcurementTests.order(app, officer, [(drugs[0], "10"), (drugs[1], "4")]).json["id"] as? Int)
            var (jar, csrf) = try await ConsoleCatalogueTests.session(app, "buyer", .procurementOfficer, institution: "YJ-TCMH")
            let page = try await ConsoleTests.get(app, "/console/orders/\(id)", jar: &jar)
            #expect(page.text.contains(#"id="edit-line-1""#) && page.text.contains(#"id="order-add-line""#))

            let bare = try await ConsoleCatalogueTests.post(
                app, "/console/orders/\(id)/lines",
                [("csrf", csrf), ("edit_line", "1"), ("edit_quantity", "12"), ("edit_reason", ""), ("edit", "quantity")],
                jar: &jar)
            #expect(bare.status == .unprocessableContent && bare.text.contains(#"id="edit-line-1-error""#), "\(bare.status)")
            func line(_ no: Int) async throws -> Decimal? {
                try await app.database.rows(
                    "SELECT quantity FROM purchase_order_lines WHERE order_id = \(id) AND line_no = \(no)", as: Decimal.self
                ).first
            }
            #expect(try await line(1) == 10)

            let changed = try await ConsoleCatalogueTests.post(
                app, "/console/orders/\(id)/lines",
                [("csrf", csrf), ("edit_line", "1"), ("edit_quantity", "12"), ("edit_reason", "科室追加"), ("edit", "quantity")],
                jar: &jar)
            #expect(changed.status.code / 100 == 3, "\(changed.status) \(changed.text)")
            #expect(try await line(1) == 12)
            let removed = try await ConsoleCatalogueTests.post(
                app, "/console/orders/\(id)/lines",
                [("csrf", csrf), ("edit_line", "2"), ("edit_quantity", "4"), ("edit_reason", "库存充足"), ("edit", "remove")],
                jar: &jar)
            #expect(removed.status.code / 100 == 3)
            #expect(try await line(2) == nil)
            let noReason = try await ConsoleCatalogueTests.post(
                app, "/console/orders/\(id)/lines",
                [("csrf", csrf), ("edit", "add"), ("add_drug", drugs[2]), ("add_quantity", "3"), ("add_reason", "")],
                jar: &jar)
            #expect(noReason.status == .unprocessableContent && noReason.text.contains(#"id="add-reason-error""#))
            let added = try await ConsoleCatalogueTests.post(
                app, "/console/orders/\(id)/lines",
                [("csrf", csrf), ("edit", "add"), ("add_drug", drugs[2]), ("add_quantity", "3"), ("add_reason", "新增需求")],
                jar: &jar)
            #expect(added.status.code / 100 == 3, "\(added.status) \(added.text)")
            let addedQuantity = try await app.database.rows(
                "SELECT quantity FROM purchase_order_lines WHERE order_id = \(id) AND drug_code = \(drugs[2])", as: Decimal.self)
            #expect(addedQuantity == [3])
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'purchase_order_line' AND entity_key LIKE \("\(id)/%")"
                ) == 3)

            _ = try await ConsoleCatalogueTests.post(app, "/console/orders/\(id)/submit", [("csrf", csrf)], jar: &jar)
            let submitted = try await ConsoleTests.get(app, "/console/orders/\(id)", jar: &jar)
            #expect(!submitted.text.contains(#"id="order-add-line""#) && !submitted.text.contains(#"id="edit-line-1""#))
            let late = try await ConsoleCatalogueTests.post(
                app, "/console/orders/\(id)/lines",
                [("csrf", csrf), ("edit_line", "1"), ("edit_quantity", "1"), ("edit_reason", "x"), ("edit", "quantity")],
                jar: &jar)
            #expect(late.status == .conflict)
        }
    }

    @Test("27: the orders download for Excel: a byte-order mark, Chinese headers and states")
    func download() async throws {
        try await TestApp.run { app in
            let officer = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let drug = try await ProcurementTests.drugs(app, count: 1)[0].code
            _ = try await ProcurementTests.order(app, officer, [(drug, "2")])
            var (jar, _) = try await ConsoleCatalogueTests.session(app, "buyer", .procurementOfficer, institution: "YJ-TCMH")
            let csv = try await ConsoleTests.get(app, "/console/orders?format=csv", jar: &jar)
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(csv.text.hasPrefix("\u{FEFF}订单号,"), "\(csv.text.prefix(80))")
            #expect(csv.text.contains(",草稿,"))
        }
    }
}
