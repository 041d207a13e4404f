import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// Issue 27: purchase orders in the console, and their printed 采购单 and 入库单.
@Suite("Console orders")
struct ConsoleOrderTests {
    @Test(
        "27: a member's officer lists its orders; the 采购单 prints the lines at the unified price and their total; the 入库单 the lots; other members get 404"
    )
    func ordersAndDocuments() async throws {
        try await TestApp.run { app in
            let drugs = try await ReconciliationTests.received(app, count: 2)
            let ids: [Int64] = try await app.database.rows(
                "SELECT id FROM purchase_orders ORDER BY id", as: Int64.self)
            var (jar, _) = try await ConsoleCatalogueTests.session(app, "buyer", .procurementOfficer, institution: "YJ-TCMH")
            let list = try await ConsoleTests.get(app, "/console/orders", jar: &jar)
            #expect(list.status == .ok)
            #expect(list.text.contains(#"aria-current="page">采购订单</a>"#))
            for id in ids {
                #expect(list.text.contains(#"<a href="/console/orders/\#(id)/print">采购单</a>"#))
                #expect(list.text.contains(#"<a href="/console/orders/\#(id)/receipt">入库单</a>"#))
            }
            #expect(list.text.components(separatedBy: "<td>已到货</td>").count - 1 == ids.count)
            let none = try await ConsoleTests.get(app, "/console/orders?status=draft", jar: &jar)
            #expect(none.text.contains("没有订单。"))
            #expect(try await ConsoleTests.get(app, "/console/orders?status=nope", jar: &jar).status == .unprocessableContent)

            let printed = try await ConsoleTests.get(app, "/console/orders/\(ids[0])/print", jar: &jar)
            #expect(printed.status == .ok)
            #expect(printed.text.contains(#"id="print-title">吉林市中医医联体药品采购单</p>"#))
            #expect(printed.text.contains("<td>\(drugs[0].code)</td>"))
            let amount = OrderAmounts.line(quantity: 10, unitPrice: drugs[0].price)
            #expect(printed.text.contains(#"<td class="money" id="order-total">"#))
            #expect(printed.text.contains(ConsoleDashboardTests.yuan(amount.formatted(places: 2))), "\(amount)")
            #expect(printed.text.contains("采购员（签字）") && printed.text.contains("药剂科负责人（签字）"))

            let receipt = try await ConsoleTests.get(app, "/console/orders/\(ids[1])/receipt", jar: &jar)
            #expect(receipt.status == .ok)
            #expect(receipt.text.contains(#"id="print-title">吉林市中医医联体药品入库验收单</p>"#))
            #expect(receipt.text.contains("<td>L1</td>") && receipt.text.contains("验收员（签字）"))

            // Another member's pharmacist: the documents are not there for it; the supply centre sees every order.
            var (other, _) = try await ConsoleCatalogueTests.session(app, "other", .institutionPharmacist, institution: "SL-TCMH")
            #expect(try await ConsoleTests.get(app, "/console/orders/\(ids[0])/print", jar: &other).status == .notFound)
            #expect(try await ConsoleTests.get(app, "/console/orders/\(ids[0])/receipt", jar: &other).status == .notFound)
            #expect(
                !(try await ConsoleTests.get(app, "/console/orders", jar: &other)).text.contains(
                    "/console/orders/\(ids[0])/print"))
            var (centre, _) = try await ConsoleCatalogueTests.session(app, "centre", .consortiumAdmin, institution: "JL-TCMH")
            let all = try await ConsoleTests.get(app, "/console/orders", jar: &centre)
            #expect(all.text.contains("<td>YJ-TCMH</td>"))
        }
    }

    @Test("27: an order's amount is its lines' amounts to the fen, summed")
    func amounts() {
        let price = Money(Decimal(string: "1.3333")!)
        #expect(OrderAmounts.line(quantity: 3, unitPrice: price) == Money(Decimal(string: "4.00")!))
        #expect(OrderAmounts.total([(3, price), (Decimal(string: "0.5")!, price)]) == Money(Decimal(string: "4.67")!))
    }
}
