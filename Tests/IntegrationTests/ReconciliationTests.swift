import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxCLI
import RxDomain
import RxStore
import RxUseCases
import Testing

#if canImport(CoreFoundation)
    import CoreFoundation
#endif

@Suite("Invoice reconciliation")
struct ReconciliationTests {
    static let base = ProcurementTests.base
    static let header =
        "distributor_code,invoice_number,invoice_date,manufacturer_invoice_number,manufacturer_code,institution_code,drug_code,lot_number,quantity,unit_price,amount\n"

    struct Drug { var code: String; var price: Money }

    /// Orders of YJ-TCMH for each drug (10 of each), consolidated and received in full as lot L<i> (or `lots`).
    static func received(_ app: TestApp, count: Int, lots: [String]? = nil) async throws -> [Drug] {
        let admin = try await app.token(.consortiumAdmin)
        let member = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
        let drugs = try await ProcurementTests.drugs(app, count: count)
        for (i, d) in drugs.enumerated() {
            let id = try await ProcurementTests.consolidatedOrder(app, member: member, admin: admin, drug: d.code, quantity: "10")
            let lot = lots?[i] ?? "L\(i)"
            let r = try await app.call(
                .post, "\(base)/orders/\(id)/deliveries", token: member,
                json: """
                    {"lineNo": 1, "lotNumber": "\(lot)", "expiryDate": "\(BusinessDate.today().adding(months: 24))", "quantity": "10"}
                    """)
            #expect(r.status == .created, "\(r.text)")
        }
        return drugs.map { Drug(code: $0.code, price: Money($0.price)) }
    }

    static func line(
        _ invoice: String, _ drug: Drug, lot: String, quantity: Decimal = 10, price: Money? = nil, amount: Money? = nil,
        manufacturer: String = "MFR-001", manufacturerInvoice: String = "M-9"
    ) -> String {
        let p = price ?? drug.price
        let a = amount ?? ReconciliationRules.expectedAmount(quantity: quantity, unitPrice: p)
        return
            "DST-SINOPHARM-JL,\(invoice),\(BusinessDate.today()),\(manufacturerInvoice),\(manufacturer),YJ-TCMH,\(drug.code),\(lot),\(quantity),\(p),\(a.formatted(places: 2))\n"
    }

    static func reconcile(
        _ app: TestApp, _ text: String, data: Data? = nil, encoding: InvoiceFile.Encoding = .utf8,
        format: ReconciliationReport.Format = .table
    ) async throws -> ReconcileInvoices.Outcome {
        try await ReconcileInvoices(database: app.database).run(
            data: data ?? Data(text.utf8), fileName: "invoices.csv", consortiumCode: "JLTCM", encoding: encoding, format: format,
            asOf: BusinessDate.today(), createdBy: "tester")
    }

    /// YJ-TCMH keeps its own list: every drug of `drugs` but the third.
    static func ownListWithoutThird(_ app: TestApp, _ drugs: [Drug]) async throws {
        let listed = drugs.enumerated().filter { $0.offset != 2 }.map(\.element.code)
        try await app.database.transaction { c in
            try await c.sql(
                """
                INSERT INTO member_catalogues (consortium_id, institution_id)
                SELECT consortium_id, id FROM institutions WHERE code = 'YJ-TCMH'
                """)
            try await c.sql(
                """
                INSERT INTO member_catalogue_items (consortium_id, institution_id, drug_code)
                SELECT i.consortium_id, i.id, x FROM institutions i, unnest(\(listed)::text[]) AS x
                WHERE i.code = 'YJ-TCMH'
                """)
        }
    }

    @Test("every classification from a small known file, recorded once; the same file again counts nothing twice")
    func everyClassification() async throws {
        try await TestApp.run { app in
            let d = try await Self.received(app, count: 8)
            try await Self.ownListWithoutThird(app, d)
            let text =
                Self.header
                + Self.line("INV-1", d[0], lot: "L0")  // 2 matched
                + Self.line("INV-1", d[1], lot: "L1", price: d[1].price + Money(1))  // 3 price differs: 10.00
                + Self.line("INV-2", d[3], lot: "L3", quantity: 9)  // 4 quantity differs: 9 of 10
                + Self.line("INV-2", d[0], lot: "NO-SUCH-LOT")  // 5 no order or receipt
                + Self.line("INV-1", d[0], lot: "L0")  // 6 duplicate of 2
                + Self.line("INV-3", d[2], lot: "L2")  // 7 outside the member's list
                + Self.line("INV-4", d[4], lot: "L4", manufacturer: "DST-CR-JL")  // 8 chain: plain distributor
                + Self.line("INV-5", d[5], lot: "L5", manufacturerInvoice: "")  // 9 chain: no manufacturer invoice
                // 10 amount
                + Self.line("INV-6", d[6], lot: "L6", amount: (d[6].price * 10).rounded(2) + Money(Decimal(string: "0.01")!))
                + Self.line("INV-7", d[7], lot: "L7", manufacturer: "MFR-001-SALES")  // 11 matched: counts as manufacturer
                // 12 not its delivery
                + Self.line("INV-8", d[0], lot: "L0").replacingOccurrences(of: "DST-SINOPHARM-JL,", with: "DST-CR-JL,")
                + Self.line("INV-9", d[0], lot: "L0")  // 13 the lot billed again
            let first = try await Self.reconcile(app, text, format: .json)
            #expect(first.status == 1, "\(first.errors)")
            let report = try #require(first.report)
            #expect(!report.alreadyReconciled)
            let byLine = Dictionary(grouping: report.discrepancies, by: \.lineNumber).mapValues { $0.map(\.classification) }
            #expect(byLine[2] == nil && byLine[11] == nil)
            #expect(byLine[3] == [.priceDiffers])
            #expect(byLine[4] == [.quantityDiffers])
            #expect(byLine[5] == [.noMatchingOrderOrReceipt])
            #expect(byLine[6] == [.duplicateLine])
            #expect(byLine[7] == [.outsideMemberCatalogue])
            #expect(byLine[8] == [.twoInvoiceChain])
            #expect(byLine[9] == [.twoInvoiceChain])
            #expect(byLine[10] == [.amountMismatch])
            #expect(byLine[12] == [.wrongDistributor])
            #expect(byLine[13] == [.billedBeyondReceived])
            #expect(report.discrepancies.first { $0.lineNumber == 3 }?.moneyAtStake == Money("10.00")!)
            #expect(report.discrepancies.first { $0.lineNumber == 10 }?.moneyAtStake == Money("0.01")!)
            #expect(report.summary.count(.matched) == 2 && report.summary.lines == 12)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(first.output.utf8)) as? [String: Any])
            #expect((json["counts"] as? [String: Any])?["two_invoice_chain"] as? Int == 2)

            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_runs") == 1)
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_discrepancies") == 10)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM reconciliation_runs WHERE created_by = 'tester' AND (counts->>'matched')::int = 2")
                    == 1)

            // The API shows the run and its discrepancies to the supply centre only.
            let admin = try await app.token(.consortiumAdmin)
            let list = try await app.call(.get, "\(Self.base)/reconciliations", token: admin)
            let items = (list.json["items"] as? [[String: Any]]) ?? []
            #expect(items.count == 1, "\(list.text)")
            #expect((items.first?["counts"] as? [String: Any])?["price_differs"] as? Int == 1)
            #expect(items.first?["createdBy"] as? String == "tester")
            let one = try await app.call(.get, "\(Self.base)/reconciliations/\(report.runID)", token: admin)
            #expect((one.json["discrepancies"] as? [Any])?.count == 10, "\(one.text)")
            #expect(one.json["moneyAtStake"] as? String == report.summary.moneyAtStake.formatted(places: 2))
            try await app.call(.get, "\(Self.base)/reconciliations/\(report.runID + 1000)", token: admin).expectProblem(.notFound)
            let member = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            try await app.call(.get, "\(Self.base)/reconciliations", token: member).expectProblem(.forbidden)

            let again = try await Self.reconcile(app, text)
            #expect(again.status == 1)
            #expect(again.report?.alreadyReconciled == true)
            #expect(again.report?.runID == report.runID)
            #expect(again.output.contains("already reconciled as run \(report.runID)"))
            #expect(again.report?.summary == report.summary)
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_runs") == 1)
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_discrepancies") == 10)
        }
    }

    /// Records an invoice of YJ-TCMH through the API for the member's order line of `drug`, all 10 units.
    static func recordInvoice(_ app: TestApp, _ number: String, _ drug: Drug, admin: String) async throws -> Int {
        let orderID = try #require(
            try await app.database.rows(
                """
                SELECT l.order_id FROM purchase_order_lines l JOIN purchase_orders o ON o.consortium_id = l.consortium_id AND o.id = l.order_id
                JOIN institutions i ON i.id = o.institution_id WHERE i.code = 'YJ-TCMH' AND l.drug_code = \(drug.code)
                """, as: Int64.self
            ).first)
        let amount = ReconciliationRules.expectedAmount(quantity: 10, unitPrice: drug.price)
        let recorded = try await app.call(
            .post, "\(base)/invoices", token: admin,
            json: """
                {"distributorCode": "DST-SINOPHARM-JL", "invoiceNumber": "\(number)", "invoiceDate": "\(BusinessDate.today())",
                 "institutionCode": "YJ-TCMH", "upstreamSupplierCode": "MFR-001", "upstreamInvoiceNumber": "M-\(number)",
                 "lines": [{"orderId": \(orderID), "orderLineNo": 1, "quantity": "10", "unitPrice": "\(drug.price)", "amount": "\(amount.formatted(places: 2))"}]}
                """)
        #expect(recorded.status == .created && recorded.json["matched"] as? Bool == true, "\(recorded.text)")
        return try #require(recorded.json["id"] as? Int)
    }

    @Test(
        "18.3: lines billing a lot beyond what was received, and invoices already recorded or paid, cannot lead to a second payment"
    )
    func billedTwiceInAFile() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let d = try await Self.received(app, count: 3)
            let paidID = try await Self.recordInvoice(app, "INV-A", d[1], admin: admin)
            let total = ReconciliationRules.expectedAmount(quantity: 10, unitPrice: d[1].price)
            try await app.database.transaction { c in
                try await c.sql("UPDATE deliveries SET received_on = received_on - 40")
            }
            let paid = try await app.call(
                .post, "\(Self.base)/invoices/\(paidID)/payment", token: admin,
                json: #"{"paidOn": "\#(BusinessDate.today())", "amount": "\#(total.formatted(places: 2))", "reference": "ZF-1"}"#)
            #expect(paid.status == .created, "\(paid.text)")
            _ = try await Self.recordInvoice(app, "INV-B", d[2], admin: admin)
            let text =
                Self.header
                + Self.line("INV-X", d[0], lot: "L0")  // 2 matched
                + Self.line("INV-Y", d[0], lot: "L0")  // 3 the same 10 units again, another invoice number
                + Self.line("INV-A", d[1], lot: "L1")  // 4 recorded through the API and paid
                + Self.line("INV-B", d[2], lot: "L2")  // 5 recorded through the API, not paid
                + Self.line("INV-Z", d[2], lot: "L2", quantity: 3)  // 6 INV-B billed all 10 already
            let out = try await Self.reconcile(app, text)
            #expect(out.status == 1, "\(out.errors)")
            let found = try #require(out.report?.discrepancies)
            let byLine = Dictionary(grouping: found, by: \.lineNumber).mapValues { $0.map(\.classification) }
            #expect(byLine[2] == nil)
            #expect(byLine[3] == [.billedBeyondReceived])
            #expect(byLine[4] == [.alreadyPaid])
            #expect(byLine[5] == [.alreadyInvoiced])
            #expect(byLine[6] == [.billedBeyondReceived])
            let line3 = try #require(found.first { $0.lineNumber == 3 })
            #expect(
                line3.detail["invoiceNumber"] == "INV-Y" && line3.detail["distributorCode"] == "DST-SINOPHARM-JL"
                    && line3.detail["drugCode"] == d[0].code && line3.detail["alreadyBilled"] == "10.000", "\(line3.detail)")
            #expect(line3.moneyAtStake == ReconciliationRules.expectedAmount(quantity: 10, unitPrice: d[0].price))
            #expect(out.output.contains("invoiceNumber=INV-Y"), "\(out.output)")
        }
    }

    @Test("bad input: every bad line with its number, exit 2, nothing kept")
    func badInput() async throws {
        try await TestApp.run { app in
            let d = Drug(code: "X1", price: Money("1.00")!)
            let text =
                Self.header
                + Self.line("INV-1", d, lot: "L0")
                + "DST-SINOPHARM-JL,INV-1,2026-13-01,M,MFR-001,YJ-TCMH,X1,L0,10,1.00,10.00\n"
                + "DST-SINOPHARM-JL,INV-1,2026-11-01,M,MFR-001,YJ-TCMH,X1,,ten,1.00,10.00\n"
            let out = try await Self.reconcile(app, text)
            #expect(out.status == 2)
            #expect(out.output.isEmpty)
            #expect(out.errors.contains("line 3: invoice_date '2026-13-01'"), "\(out.errors)")
            #expect(out.errors.contains("line 4: lot_number is missing; quantity 'ten'"), "\(out.errors)")
            #expect(!out.errors.contains("line 2"))
            let noColumn = try await Self.reconcile(app, "distributor_code,invoice_number\nA,B\n")
            #expect(noColumn.status == 2 && noColumn.errors.contains("line 1"))
            let notUTF8 = try await Self.reconcile(app, "", data: Data([0xD6, 0xD0, 0xCE, 0xC4, 0x0A]))
            #expect(notUTF8.status == 2 && notUTF8.errors.contains("not utf-8"))
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_runs") == 0)
        }
    }

    @Test("a GBK file with every line matched exits 0")
    func gbkAllMatched() async throws {
        try await TestApp.run { app in
            let d = try await Self.received(app, count: 2, lots: ["批号甲", "批号乙"])
            let text = Self.header + Self.line("发票-1", d[0], lot: "批号甲") + Self.line("发票-1", d[1], lot: "批号乙")
            let gbk = String.Encoding(
                rawValue: CFStringConvertEncodingToNSStringEncoding(
                    CFStringEncoding(CFStringEncodings.GB_18030_2000.rawValue)))
            let data = try #require(text.data(using: gbk))
            #expect(data != Data(text.utf8))
            let out = try await Self.reconcile(app, text, data: data, encoding: .gbk, format: .csv)
            #expect(out.status == 0, "\(out.errors) \(out.output)")
            #expect(out.output == "line_number,classification,money_at_stake,detail\n")
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_runs WHERE (counts->>'matched')::int = 2") == 1)
        }
    }
}
