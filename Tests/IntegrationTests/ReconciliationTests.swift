import Foundation
#if canImport(CoreFoundation)
import CoreFoundation
#endif
import PostgresNIO
import RxDomain
import RxStore
import Testing

@Suite("Invoice reconciliation")
struct ReconciliationTests {
    static let base = ProcurementTests.base
    static let header = "distributor_code,invoice_number,invoice_date,manufacturer_invoice_number,manufacturer_code,institution_code,drug_code,lot_number,quantity,unit_price,amount\n"

    struct Drug { var code: String; var price: Money }

    /// Orders of YJ-TCMH for each drug (10 of each), consolidated and received in full as lot L<i> (or `lots`).
    static func received(_ app: TestApp, count: Int, lots: [String]? = nil) async throws -> [Drug] {
        let admin = try await app.token(.consortiumAdmin)
        let member = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
        let drugs = try await ProcurementTests.drugs(app, count: count)
        for (i, d) in drugs.enumerated() {
            let id = try await ProcurementTests.consolidatedOrder(app, member: member, admin: admin, drug: d.code, quantity: "10")
            let lot = lots?[i] ?? "L\(i)"
            let r = try await app.call(.post, "\(base)/orders/\(id)/deliveries", token: member, json: """
                {"lineNo": 1, "lotNumber": "\(lot)", "expiryDate": "\(BusinessDate.today().adding(months: 24))", "quantity": "10"}
                """)
            #expect(r.status == .created, "\(r.text)")
        }
        return drugs.map { Drug(code: $0.code, price: Money($0.price)) }
    }

    static func line(_ invoice: String, _ drug: Drug, lot: String, quantity: Decimal = 10, price: Money? = nil, amount: Money? = nil,
                     manufacturer: String = "MFR-001", manufacturerInvoice: String = "M-9") -> String {
        let p = price ?? drug.price
        let a = amount ?? ReconciliationRules.expectedAmount(quantity: quantity, unitPrice: p)
        return "DST-SINOPHARM-JL,\(invoice),\(BusinessDate.today()),\(manufacturerInvoice),\(manufacturer),YJ-TCMH,\(drug.code),\(lot),\(quantity),\(p),\(a.formatted(places: 2))\n"
    }

    static func reconcile(_ app: TestApp, _ text: String, data: Data? = nil, encoding: InvoiceFile.Encoding = .utf8,
                          format: ReconciliationReport.Format = .table) async throws -> ReconcileInvoices.Outcome {
        try await ReconcileInvoices(database: app.database).run(
            data: data ?? Data(text.utf8), fileName: "invoices.csv", consortiumCode: "JLTCM", encoding: encoding, format: format,
            asOf: BusinessDate.today(), createdBy: "tester")
    }

    @Test("every classification from a small known file, recorded once; the same file again counts nothing twice")
    func everyClassification() async throws {
        try await TestApp.run { app in
            let d = try await Self.received(app, count: 3)
            // YJ-TCMH keeps its own list, without the third drug.
            try await app.database.transaction { c in
                try await c.sql("""
                    INSERT INTO member_catalogues (consortium_id, institution_id)
                    SELECT consortium_id, id FROM institutions WHERE code = 'YJ-TCMH'
                    """)
                try await c.sql("""
                    INSERT INTO member_catalogue_items (consortium_id, institution_id, drug_code)
                    SELECT i.consortium_id, i.id, x FROM institutions i, unnest(\([d[0].code, d[1].code])::text[]) AS x
                    WHERE i.code = 'YJ-TCMH'
                    """)
            }
            let text = Self.header
                + Self.line("INV-1", d[0], lot: "L0")                                           // 2 matched
                + Self.line("INV-1", d[1], lot: "L1", price: d[1].price + Money(1))              // 3 price differs: 10.00
                + Self.line("INV-2", d[0], lot: "L0", quantity: 9)                               // 4 quantity differs
                + Self.line("INV-2", d[0], lot: "NO-SUCH-LOT")                                   // 5 no order or receipt
                + Self.line("INV-1", d[0], lot: "L0")                                            // 6 duplicate of 2
                + Self.line("INV-3", d[2], lot: "L2")                                            // 7 outside the member's list
                + Self.line("INV-4", d[0], lot: "L0", manufacturer: "DST-CR-JL")                 // 8 chain: plain distributor
                + Self.line("INV-5", d[0], lot: "L0", manufacturerInvoice: "")                   // 9 chain: no manufacturer invoice
                + Self.line("INV-6", d[0], lot: "L0", amount: (d[0].price * 10).rounded(2) + Money(Decimal(string: "0.01")!)) // 10 amount
                + Self.line("INV-7", d[0], lot: "L0", manufacturer: "MFR-001-SALES")             // 11 matched: counts as manufacturer
                + Self.line("INV-8", d[0], lot: "L0").replacingOccurrences(of: "DST-SINOPHARM-JL,", with: "DST-CR-JL,") // 12 not its delivery
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
            #expect(byLine[12] == [.noMatchingOrderOrReceipt])
            #expect(report.discrepancies.first { $0.lineNumber == 3 }?.moneyAtStake == Money("10.00")!)
            #expect(report.discrepancies.first { $0.lineNumber == 10 }?.moneyAtStake == Money("0.01")!)
            #expect(report.summary.count(.matched) == 2 && report.summary.lines == 11)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(first.output.utf8)) as? [String: Any])
            #expect((json["counts"] as? [String: Any])?["two_invoice_chain"] as? Int == 2)

            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_runs") == 1)
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_discrepancies") == 9)
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_runs WHERE created_by = 'tester' AND (counts->>'matched')::int = 2") == 1)

            // The API shows the run and its discrepancies to the supply centre only.
            let admin = try await app.token(.consortiumAdmin)
            let list = try await app.call(.get, "\(Self.base)/reconciliations", token: admin)
            let items = (list.json["items"] as? [[String: Any]]) ?? []
            #expect(items.count == 1, "\(list.text)")
            #expect((items.first?["counts"] as? [String: Any])?["price_differs"] as? Int == 1)
            #expect(items.first?["createdBy"] as? String == "tester")
            let one = try await app.call(.get, "\(Self.base)/reconciliations/\(report.runID)", token: admin)
            #expect((one.json["discrepancies"] as? [Any])?.count == 9, "\(one.text)")
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
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_discrepancies") == 9)
        }
    }

    @Test("bad input: every bad line with its number, exit 2, nothing kept")
    func badInput() async throws {
        try await TestApp.run { app in
            let d = Drug(code: "X1", price: Money("1.00")!)
            let text = Self.header
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
            let gbk = String.Encoding(rawValue: CFStringConvertEncodingToNSStringEncoding(
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
