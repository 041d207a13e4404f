import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// Issue 27: the 对账单, a statement per distributor of what is owed, from the payables.
@Suite("Console statements")
struct ConsoleStatementTests {
    @Test("27: the 对账单 lists each payable invoice of the distributor with what was paid; its totals equal the payables list's")
    func statement() async throws {
        try await TestApp.run { app in
            let s = try await BillingTests.received(app)
            let r = try await app.call(
                .post, "\(BillingTests.base)/invoices", token: s.admin, json: BillingTests.invoice(s, "INV-1", quantity: 4))
            let id = try #require(r.json["id"] as? Int, "\(r.text)")
            let finance = try await app.token(.finance)
            let paid = try await app.call(
                .post, "\(BillingTests.base)/invoices/\(id)/payment", token: finance,
                json: #"{"paidOn": "\#(BusinessDate.today())", "amount": "0.01", "reference": "ZF-1"}"#)
            #expect(paid.status == .created, "\(paid.text)")
            let total = InvoiceLineRules.expectedAmount(quantity: 4, unitPrice: s.price)

            var (jar, _) = try await ConsoleCatalogueTests.session(app, "fin", .finance, institution: nil)
            let list = try await ConsoleTests.get(app, "/console/statements", jar: &jar)
            #expect(list.status == .ok)
            #expect(list.text.contains(#"aria-current="page">对账单</a>"#))
            let row = try #require(ConsoleDashboardTests.table(list.text, id: "statements").first)
            #expect(row[0] == "DST-SINOPHARM-JL" && row[1] == "1")
            #expect(row[2] == ConsoleDashboardTests.yuan(total.formatted(places: 2)))
            #expect(row[3] == "¥0.01")
            #expect(row[4] == ConsoleDashboardTests.yuan((total - Money(Decimal(string: "0.01")!)).formatted(places: 2)))

            let printed = try await ConsoleTests.get(app, "/console/statements/DST-SINOPHARM-JL", jar: &jar)
            #expect(printed.status == .ok)
            #expect(printed.text.contains(#"id="print-title">吉林市中医医联体药品配送对账单</p>"#))
            let lines = ConsoleDashboardTests.table(printed.text, id: "statement-lines")
            // The invoice, then the totals (the table's foot).
            #expect(lines.count == 2 && lines[0][1] == "INV-1" && lines[0][8] == "逾期", "\(lines)")
            #expect(lines[1] == [row[2], row[3], row[4], ""])
            #expect(printed.text.contains("配送企业（签字盖章）") && printed.text.contains("医联体药学中心（签字盖章）"))
            #expect(try await ConsoleTests.get(app, "/console/statements/NOPE", jar: &jar).status == .notFound)

            // 28: paid in full, the invoice leaves the statement (five years of paid invoices are not read); the
            // payables list keeps it, paid.
            let rest = try await app.call(
                .post, "\(BillingTests.base)/invoices/\(id)/payment", token: finance,
                json:
                    #"{"paidOn": "\#(BusinessDate.today())", "amount": "\#((total - Money(Decimal(string: "0.01")!)).formatted(places: 2))", "reference": "ZF-2"}"#
            )
            #expect(rest.status == .created, "\(rest.text)")
            let settled = try await ConsoleTests.get(app, "/console/statements", jar: &jar)
            #expect(!settled.text.contains(#"href="/console/statements/DST-SINOPHARM-JL""#))
            let gone = try await ConsoleTests.get(app, "/console/statements/DST-SINOPHARM-JL", jar: &jar)
            #expect(gone.status == .notFound && gone.text.contains("没有欠配送企业 DST-SINOPHARM-JL 的款项"))
            let payables = ConsoleReconciliationTests.rows(
                try await ConsoleTests.get(app, "/console/payables", jar: &jar).text, id: "payables")
            #expect(payables.first?[0] == "INV-1" && payables.first?[8] == "已付清", "\(payables)")

            // A member's pharmacist reads no finance: no link, and the page is refused.
            var (pharm, _) = try await ConsoleCatalogueTests.session(app, "pharm", .institutionPharmacist, institution: "YJ-TCMH")
            let home = try await ConsoleTests.get(app, "/console/", jar: &pharm)
            #expect(!home.text.contains(#"href="/console/statements""#))
            #expect(try await ConsoleTests.get(app, "/console/statements", jar: &pharm).status == .forbidden)
        }
    }

    @Test("27: a statement's totals: invoiced, paid, owed, and of that what is overdue")
    func totals() {
        let t = DistributorStatementTotals([
            (Money(Decimal(string: "100.00")!), Money(Decimal(string: "40.00")!), true), (Money(50), Money(50), false),
            (Money(Decimal(string: "10.005")!), Money(0), false),
        ])
        #expect(t.invoices == 3 && t.invoiced == Money(Decimal(string: "160.01")!) && t.paid == Money(90))
        #expect(t.owed == Money(Decimal(string: "70.01")!) && t.overdue == Money(60))
    }
}
