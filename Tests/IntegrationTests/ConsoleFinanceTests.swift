import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// Issue 27: the supply centre's and finance's pages: consolidation, a distributor's invoice recorded (两票制) and
/// reviewed, payment, payables and spend, through `SupplyCentreUseCases` as the API does.
@Suite("Console supply centre and finance")
struct ConsoleFinanceTests {
    static let base = ProcurementTests.base

    @Test(
        "27: the supply centre consolidates the submitted orders from the console; a second press finds nothing; a pharmacist may not"
    )
    func consolidate() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let member = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let drug = try await ProcurementTests.drugs(app, count: 1)[0].code
            _ = try await app.call(
                .put, "\(Self.base)/distributor-contracts/\(drug)", token: admin,
                json: #"{"distributorCode": "DST-SINOPHARM-JL"}"#)
            let id = try #require(try await ProcurementTests.order(app, member, [(drug, "6")]).json["id"] as? Int)
            #expect(try await app.call(.post, "\(Self.base)/orders/\(id)/submit", token: member).status == .ok)

            var (jar, csrf) = try await ConsoleCatalogueTests.session(app, "admin", .consortiumAdmin, institution: nil)
            let list = try await ConsoleTests.get(app, "/console/consolidations", jar: &jar)
            #expect(list.status == .ok && list.text.contains(#"id="consolidate""#))
            let made = try await ConsoleCatalogueTests.post(app, "/console/consolidations", [("csrf", csrf)], jar: &jar)
            #expect(made.headers[.location] == "/console/consolidations?done=consolidated", "\(made.status) \(made.text)")
            let rows = ConsoleReconciliationTests.rows(
                try await ConsoleTests.get(app, "/console/consolidations", jar: &jar).text, id: "consolidations")
            #expect(rows.count == 1 && rows[0][1].hasPrefix("DST-SINOPHARM-JL"), "\(rows)")
            let consolidated = try #require(
                try await app.database.rows("SELECT id FROM consolidated_orders", as: Int64.self).first)
            let page = try await ConsoleTests.get(app, "/console/consolidations/\(consolidated)", jar: &jar)
            let lines = ConsoleReconciliationTests.rows(page.text, id: "consolidation-lines")
            #expect(lines.map { [$0[0], $0[1], $0[3]] } == [["YJ-TCMH", String(id), drug]], "\(lines)")
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'consolidation'") == 1)

            let again = try await ConsoleCatalogueTests.post(app, "/console/consolidations", [("csrf", csrf)], jar: &jar)
            #expect(again.headers[.location] == "/console/consolidations?done=consolidated_nothing")
            var (pharm, pharmCSRF) = try await ConsoleCatalogueTests.session(
                app, "pharm", .institutionPharmacist, institution: "YJ-TCMH")
            let refused = try await ConsoleCatalogueTests.post(
                app, "/console/consolidations", [("csrf", pharmCSRF)], jar: &pharm)
            #expect(refused.status == .forbidden)
        }
    }

    @Test(
        "27: an invoice recorded from the console: a bad row refused beside it and the two-invoice rule beside its field, nothing written; a price that differs is kept and marked; finance resolves it with a note and pays part of it"
    )
    func invoiceReviewPay() async throws {
        try await TestApp.run { app in
            let s = try await BillingTests.received(app)
            var (jar, csrf) = try await ConsoleCatalogueTests.session(app, "admin", .consortiumAdmin, institution: nil)
            let wrongPrice = s.price + Money(1)
            let amount = InvoiceLineRules.expectedAmount(quantity: 4, unitPrice: wrongPrice).formatted(places: 2)
            func form(number: String, upstream: String = "MFR-001", rows: [[String]]) -> [(String, String)] {
                var fields: [(String, String)] = [
                    ("csrf", csrf), ("inv_distributor", "DST-SINOPHARM-JL"), ("inv_number", number),
                    ("inv_date", BusinessDate.today().description), ("inv_member", "YJ-TCMH"), ("inv_upstream", upstream),
                    ("inv_upstream_number", "M-" + number),
                ]
                for i in 0..<6 {
                    let row = i < rows.count ? rows[i] : ["", "", "", "", "", ""]
                    for (column, value) in zip(["order", "line", "lot", "quantity", "price", "amount"], row) {
                        fields.append(("inv_" + column, value))
                    }
                }
                return fields
            }
            let good = [String(s.orderID), "1", "", "4", wrongPrice.description, amount]
            let invoices: PostgresQuery = "SELECT count(*)::int FROM invoices"

            let badRow = try await ConsoleCatalogueTests.post(
                app, "/console/invoices", form(number: "INV-C1", rows: [good, ["abc", "1", "", "1", "1", "1"]]), jar: &jar)
            #expect(badRow.status == .unprocessableContent && badRow.text.contains(#"id="inv-1-error""#), "\(badRow.status)")
            #expect(badRow.text.contains(#"value="abc""#))
            let chain = try await ConsoleCatalogueTests.post(
                app, "/console/invoices", form(number: "INV-C1", upstream: "DST-CR-JL", rows: [good]), jar: &jar)
            #expect(chain.status == .unprocessableContent && chain.text.contains(#"id="inv-upstream-error""#))
            #expect(try await app.count(invoices) == 0)

            let recorded = try await ConsoleCatalogueTests.post(
                app, "/console/invoices", form(number: "INV-C1", rows: [good]), jar: &jar)
            #expect(recorded.status.code / 100 == 3, "\(recorded.status) \(recorded.text)")
            let id = try #require(try await app.database.rows("SELECT id FROM invoices", as: Int64.self).first)
            let page = try await ConsoleTests.get(app, "/console/invoices/\(id)", jar: &jar)
            #expect(ConsoleReconciliationTests.rows(page.text, id: "invoice-lines").first?.last == "价格不符")

            var (fin, finCSRF) = try await ConsoleCatalogueTests.session(app, "fin", .finance, institution: nil)
            let open = ConsoleReconciliationTests.rows(
                try await ConsoleTests.get(app, "/console/invoices?unreviewed=1", jar: &fin).text, id: "invoices")
            #expect(open.map(\.first) == ["INV-C1"], "\(open)")
            let home = try await ConsoleTests.get(app, "/console/", jar: &fin)
            #expect(home.text.contains(#"href="/console/invoices?unreviewed=1""#))
            let noNote = try await ConsoleCatalogueTests.post(
                app, "/console/invoices/\(id)/review", [("csrf", finCSRF), ("status", "resolved"), ("note", "")], jar: &fin)
            #expect(noNote.status == .unprocessableContent && noNote.text.contains(#"id="iv-note-error""#), "\(noNote.status)")
            let resolved = try await ConsoleCatalogueTests.post(
                app, "/console/invoices/\(id)/review", [("csrf", finCSRF), ("status", "resolved"), ("note", "已开红字发票冲差价")],
                jar: &fin)
            #expect(resolved.status.code / 100 == 3, "\(resolved.status) \(resolved.text)")

            let payable = try await ConsoleTests.get(app, "/console/invoices/\(id)", jar: &fin)
            #expect(payable.text.contains(#"id="invoice-pay""#) && payable.text.contains("已解决"))
            let tooMuch = try await ConsoleCatalogueTests.post(
                app, "/console/invoices/\(id)/pay",
                [("csrf", finCSRF), ("paid_on", BusinessDate.today().description), ("amount", "999999"), ("reference", "ZF-1")],
                jar: &fin)
            #expect(tooMuch.status == .unprocessableContent && tooMuch.text.contains(#"id="pay-amount-error""#))
            let paid = try await ConsoleCatalogueTests.post(
                app, "/console/invoices/\(id)/pay",
                [("csrf", finCSRF), ("paid_on", BusinessDate.today().description), ("amount", "0.01"), ("reference", "ZF-1")],
                jar: &fin)
            #expect(paid.status.code / 100 == 3, "\(paid.status) \(paid.text)")
            #expect(try await app.count("SELECT count(*)::int FROM payments") == 1)

            // The payables list, as the API has it; and for Excel.
            let finance = try await app.token(.finance)
            let api = try await app.call(.get, "\(Self.base)/payables", token: finance)
            let items = try #require(api.json["items"] as? [[String: Any]])
            let rows = ConsoleReconciliationTests.rows(
                try await ConsoleTests.get(app, "/console/payables", jar: &fin).text, id: "payables")
            #expect(rows.count == items.count && rows.first?[0] == "INV-C1", "\(rows)")
            #expect(rows.first?[4] == "¥0.01")
            // 28: a page at a time by invoice (`cursor`), what remains owed always the whole list's.
            func owed(_ html: String) -> String? {
                html.range(of: #"id="payables-remaining">"#).map { String(html[$0.upperBound...].prefix { $0 != "<" }) }
            }
            let first = try await ConsoleTests.get(app, "/console/payables", jar: &fin).text
            let cursor = Data("k1:\(id)".utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            let past = try await ConsoleTests.get(app, "/console/payables?cursor=\(cursor)", jar: &fin).text
            #expect(ConsoleReconciliationTests.rows(past, id: "payables").map(\.count) == [1], "the empty row alone")
            #expect(owed(past) != nil && owed(past) == owed(first) && owed(first) != "¥0.00")
            #expect(!first.contains(#"rel="next""#))
            let runs = try await ConsoleTests.get(app, "/console/reconciliations?format=csv", jar: &fin)
            #expect(runs.text.hasPrefix("\u{FEFF}对账编号,对账类型"), "\(runs.text.prefix(40))")
            let invoicesCSV = try await ConsoleTests.get(app, "/console/invoices?format=csv", jar: &fin)
            #expect(invoicesCSV.text.hasPrefix("\u{FEFF}发票号码,") && invoicesCSV.text.contains("INV-C1,"))
            let csv = try await ConsoleTests.get(app, "/console/payables?format=csv", jar: &fin)
            #expect(csv.text.hasPrefix("\u{FEFF}发票号码,") && csv.text.contains("INV-C1"))
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type IN ('invoice', 'payment') AND entity_key = \(String(id))"
                )
                    == 3)
        }
    }

    @Test("27: spend equals the API's report for the same dates; a pharmacist reads no finance")
    func spend() async throws {
        try await TestApp.run { app in
            _ = try await BillingTests.received(app)
            let today = BusinessDate.today()
            let from = today.adding(days: -90)
            let finance = try await app.token(.finance)
            let api = try await app.call(.get, "\(Self.base)/spend?from=\(from)&to=\(today)", token: finance)
            let total = try #require(api.json["total"] as? String, "\(api.text)")
            var (fin, _) = try await ConsoleCatalogueTests.session(app, "fin", .finance, institution: nil)
            let page = try await ConsoleTests.get(app, "/console/spend?from=\(from)&to=\(today)", jar: &fin)
            #expect(page.status == .ok)
            #expect(page.text.contains(#"<td class="money" id="spend-total">\#(ConsoleDashboardTests.yuan(total))</td>"#))
            let csv = try await ConsoleTests.get(app, "/console/spend?from=\(from)&to=\(today)&format=csv", jar: &fin)
            let apiRows = try #require(api.json["rows"] as? [Any])
            #expect(csv.text.hasPrefix("\u{FEFF}") && csv.text.contains("药品编码"), "\(csv.text.prefix(40))")
            #expect(csv.text.split(whereSeparator: \.isNewline).count == apiRows.count + 1, "the header and a row each")
            let backwards = try await ConsoleTests.get(app, "/console/spend?from=\(today)&to=\(from)", jar: &fin)
            #expect(backwards.status == .unprocessableContent)
            var (pharm, _) = try await ConsoleCatalogueTests.session(app, "pharm", .institutionPharmacist, institution: "YJ-TCMH")
            #expect(try await ConsoleTests.get(app, "/console/spend", jar: &pharm).status == .forbidden)
            #expect(try await ConsoleTests.get(app, "/console/invoices", jar: &pharm).status == .forbidden)
        }
    }
}
