import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import PostgresNIO
import RxDomain
import RxStore
import RxUseCases
import Testing

/// An emergency purchase (应急采购, issue 22) skips the usual channel: once submitted it is received from its own
/// supplier (the purchase receipt posts to the member's stock), the consolidation leaves it out, and an invoice
/// recorded through the API from its supplier is judged as supplied, while another distributor's is still
/// `wrong_distributor`. The other orders keep their rules.
@Suite("Shortage response: an emergency purchase received without consolidation and billed by its supplier (issue 22)")
struct ShortageEmergencyPurchaseTests {
    static let base = ProcurementTests.base
    static let member = ShortageActionTests.r2
    static let emergencySupplier = "DST-JZT-JL"
    static let usualDistributor = "DST-SINOPHARM-JL"

    static func invoice(
        _ number: String, distributor: String, orderID: Int, quantity: Decimal, price: Money, lot: String
    ) -> String {
        let amount = InvoiceLineRules.expectedAmount(quantity: quantity, unitPrice: price)
        return """
            {"distributorCode": "\(distributor)", "invoiceNumber": "\(number)", "invoiceDate": "\(BusinessDate.today())",
             "institutionCode": "\(member)", "upstreamSupplierCode": "MFR-001", "upstreamInvoiceNumber": "M-\(number)",
             "lines": [{"orderId": \(orderID), "orderLineNo": 1, "lotNumber": "\(lot)", "quantity": "\(quantity)",
                        "unitPrice": "\(price)", "amount": "\(amount.formatted(places: 2))"}]}
            """
    }

    static func discrepancies(_ r: TestResponse) -> [String] {
        (((r.json["lines"] as? [[String: Any]]) ?? []).first?["discrepancies"] as? [String]) ?? []
    }

    @Test(
        "raised, submitted and received without consolidation (stock rises at the member); consolidation leaves it out; its supplier's invoice is not a wrong distributor, another's is"
    )
    func skipsTheUsualChannel() async throws {
        let day = BusinessDate.today()
        try await StockLedgerTests.run(today: StockLedgerTests.Today(day)) { app in
            let (drug, _) = try await ShortageActionTests.drugs(app)
            let id = try await ShortageActionTests.scenario(app, drug: drug, today: day)
            let admin = try await app.token(.consortiumAdmin)
            let officer = try await app.token(.procurementOfficer, institution: ShortageActionTests.lead)
            let memberOfficer = try await app.token(.procurementOfficer, institution: Self.member)
            let regularMember = try await app.token(.procurementOfficer, institution: ShortageActionTests.s)
            // No contract for the short drug: the consolidation does not need one for an emergency purchase.
            try await app.database.transaction { c in
                try await c.sql("DELETE FROM distributor_contracts WHERE drug_code = \(drug)")
            }

            // The emergency purchase raises a draft order for the member, flagged with the shortage and its supplier.
            let bought = try await app.call(
                .post, "/v1/shortages/\(id)/actions", token: officer,
                json:
                    #"{"kind": "emergency_purchase", "reason": "常规配送企业断供，向九州通应急采购", "supplierCode": "\#(Self.emergencySupplier)", "quantity": "5", "institutionCode": "\#(Self.member)"}"#
            )
            #expect(bought.status == .created, "\(bought.text)")
            let order = try #require(bought.json["purchaseOrder"] as? [String: Any])
            let orderID = try #require(order["id"] as? Int)
            #expect(order["status"] as? String == "draft")
            let price = try #require(
                ((order["lines"] as? [[String: Any]])?.first?["unitPrice"] as? String).flatMap { Money($0) })

            // A regular order of another drug, submitted beside it, goes through the usual channel as before.
            let regularDrug = try #require(try await ProcurementTests.drugs(app, count: 5).first { $0.code != drug }?.code)
            try await app.call(
                .put, "\(Self.base)/distributor-contracts/\(regularDrug)", token: admin,
                json: #"{"distributorCode": "\#(Self.usualDistributor)"}"#)
            let regular = try await ProcurementTests.order(app, regularMember, [(regularDrug, "4")])
            let regularID = try #require(regular.json["id"] as? Int, "\(regular.text)")
            #expect(try await app.call(.post, "\(Self.base)/orders/\(regularID)/submit", token: regularMember).status == .ok)

            let delivery = """
                {"lineNo": 1, "lotNumber": "EM-1", "expiryDate": "\(day.adding(months: 24))", "quantity": "5"}
                """
            // A draft is not received, emergency or not (409).
            try await app.call(.post, "\(Self.base)/orders/\(orderID)/deliveries", token: memberOfficer, json: delivery)
                .expectProblem(.conflict)
            let submitted = try await app.call(.post, "\(Self.base)/orders/\(orderID)/submit", token: memberOfficer)
            #expect(submitted.status == .ok && submitted.json["status"] as? String == "submitted", "\(submitted.text)")
            // A submitted regular order still waits for its consolidation (409).
            try await app.call(
                .post, "\(Self.base)/orders/\(regularID)/deliveries", token: regularMember,
                json: #"{"lineNo": 1, "lotNumber": "RG-1", "expiryDate": "\#(day.adding(months: 24))", "quantity": "4"}"#
            ).expectProblem(.conflict)

            // The consolidation takes the regular order and leaves the emergency purchase out.
            let consolidated = try await app.call(.post, "\(Self.base)/consolidations", token: admin)
            #expect(consolidated.status == .ok, "\(consolidated.text)")
            let lines = ((consolidated.json["items"] as? [[String: Any]]) ?? []).flatMap {
                ($0["lines"] as? [[String: Any]]) ?? []
            }
            #expect(lines.contains { $0["orderId"] as? Int == regularID }, "\(consolidated.text)")
            #expect(!lines.contains { $0["orderId"] as? Int == orderID }, "\(consolidated.text)")
            let afterConsolidation = try await app.call(.get, "\(Self.base)/orders/\(orderID)", token: admin)
            #expect(afterConsolidation.json["status"] as? String == "submitted", "\(afterConsolidation.text)")
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM purchase_order_lines WHERE order_id = \(orderID) AND consolidated_order_id IS NOT NULL"
                ) == 0)
            #expect(
                try await app.call(.get, "\(Self.base)/orders/\(regularID)", token: admin).json["status"] as? String
                    == "consolidated")
            // Contracting the usual distributor now does not hand it the emergency purchase.
            try await app.call(
                .put, "\(Self.base)/distributor-contracts/\(drug)", token: admin,
                json: #"{"distributorCode": "\#(Self.usualDistributor)"}"#)
            let again = try await app.call(.post, "\(Self.base)/consolidations", token: admin)
            #expect(again.status == .ok && ((again.json["items"] as? [[String: Any]]) ?? []).isEmpty, "\(again.text)")

            // Received from its supplier once submitted: the purchase receipt enters the member's stock.
            #expect(try await StockLedgerTests.onHand(app, Self.member, lot: "EM-1", drug: drug) == 0)
            let received = try await app.call(
                .post, "\(Self.base)/orders/\(orderID)/deliveries", token: memberOfficer, json: delivery)
            #expect(received.status == .created, "\(received.text)")
            #expect(received.json["status"] as? String == "received")
            // (5 in the order's unit: the receipt is in the drug's units, packages times their size.)
            let receipt = try await app.database.rows(
                """
                SELECT coalesce(sum(m.quantity), 0) FROM stock_movements m JOIN institutions i ON i.id = m.institution_id
                WHERE i.code = \(Self.member) AND m.drug_code = \(drug) AND m.reason_code = '108' AND m.direction = 'in'
                  AND m.lot_key = lot_key('EM-1')
                """, as: Decimal.self)[0]
            #expect(receipt >= 5)
            #expect(try await StockLedgerTests.onHand(app, Self.member, lot: "EM-1", drug: drug) == receipt)

            // `reconcile invoices` judges the same lines in a file alike: its supplier's matches, the usual
            // distributor's (the file's second line, after the header) is wrong_distributor and names the shortage.
            let amount = InvoiceLineRules.expectedAmount(quantity: 5, unitPrice: price).formatted(places: 2)
            let file = [Self.emergencySupplier, Self.usualDistributor].map {
                "\($0),F-\($0),\(day),M-F,MFR-001,\(Self.member),\(drug),EM-1,5,\(price),\(amount)\n"
            }.joined()
            let reconciled = try await ReconcileInvoices(database: app.database).run(
                data: Data((ReconciliationTests.header + file).utf8), fileName: "emergency.csv", consortiumCode: "JLTCM",
                asOf: day, createdBy: "tester")
            let found = reconciled.report?.discrepancies ?? []
            #expect(found.map(\.lineNumber) == [3] && found.map(\.classification) == [.wrongDistributor], "\(reconciled.output)")
            #expect(found.first?.detail["emergencyShortageId"] == String(id))

            // Its supplier's invoice, recorded through the API, is matched; another distributor's is wrong_distributor.
            let fromSupplier = try await app.call(
                .post, "\(Self.base)/invoices", token: admin,
                json: Self.invoice(
                    "JZT-1", distributor: Self.emergencySupplier, orderID: orderID, quantity: 5, price: price, lot: "EM-1"))
            #expect(fromSupplier.status == .created, "\(fromSupplier.text)")
            #expect(Self.discrepancies(fromSupplier) == [], "\(fromSupplier.text)")
            #expect(fromSupplier.json["matched"] as? Bool == true)
            let fromUsual = try await app.call(
                .post, "\(Self.base)/invoices", token: admin,
                json: Self.invoice(
                    "SPH-1", distributor: Self.usualDistributor, orderID: orderID, quantity: 5, price: price, lot: "EM-1"))
            #expect(fromUsual.status == .created, "\(fromUsual.text)")
            #expect(Self.discrepancies(fromUsual) == ["wrong_distributor"], "\(fromUsual.text)")
            #expect(fromUsual.json["matched"] as? Bool == false)
            // The matched invoice is payable; the wrong distributor's is not.
            let payables = try await app.call(.get, "\(Self.base)/payables", token: admin)
            let payable = ((payables.json["items"] as? [[String: Any]]) ?? []).compactMap { $0["invoiceNumber"] as? String }
            #expect(payable.contains("JZT-1") && !payable.contains("SPH-1"), "\(payables.text)")

            // Every change has its audit row: submit, the delivery, the consolidation, both invoices.
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'purchase_order' AND action = 'submit' AND entity_key = \(String(orderID))"
                ) == 1)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'delivery' AND action = 'receive' AND entity_key = \("\(orderID)/1/EM-1")"
                ) == 1)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'consolidation' AND action = 'consolidate'") >= 1)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'invoice' AND action = 'record'") == 2)
        }
    }
}
