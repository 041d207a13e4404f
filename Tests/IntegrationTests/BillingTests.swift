import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import RxCLI
import RxDomain
import RxStore
import RxUseCases
import Testing

/// Invoices against receipts, central payment in parts and finance's review (issue 18, points 1, 2, 4 and 13).
@Suite("Billing: invoices against receipts, payment in parts, finance's review")
struct BillingTests {
    static let base = ProcurementTests.base

    struct Setup {
        var admin: String
        var orderID: Int
        var drug: String
        var price: Money
    }

    /// A YJ-TCMH order of `ordered` units of one drug, consolidated to DST-SINOPHARM-JL, with `received` units of
    /// lot BS261115 received 40 days ago.
    static func received(_ app: TestApp, ordered: String = "10", received: String = "4") async throws -> Setup {
        let admin = try await app.token(.consortiumAdmin)
        let member = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
        let (drug, price) = try await ProcurementTests.drugs(app, count: 1)[0]
        let id = try await ProcurementTests.consolidatedOrder(app, member: member, admin: admin, drug: drug, quantity: ordered)
        // Raised 60 days ago, so that a receipt 40 days ago is after the order (18.9).
        try await app.database.transaction { c in
            try await c.sql("UPDATE purchase_orders SET order_date = order_date - 60 WHERE id = \(id)")
        }
        let r = try await app.call(
            .post, "\(base)/orders/\(id)/deliveries", token: member,
            json: """
                {"lineNo": 1, "lotNumber": "BS261115", "expiryDate": "\(BusinessDate.today().adding(months: 24))", "quantity": "\(received)",
                 "receivedOn": "\(BusinessDate.today().adding(days: -40))"}
                """)
        #expect(r.status == .created, "\(r.text)")
        return Setup(admin: admin, orderID: id, drug: drug, price: Money(price))
    }

    static func invoice(
        _ s: Setup, _ number: String, quantity: Decimal, lot: String? = nil,
        distributor: String = "DST-SINOPHARM-JL"
    ) -> String {
        let amount = InvoiceLineRules.expectedAmount(quantity: quantity, unitPrice: s.price)
        let lotField = lot.map { #""lotNumber": "\#($0)", "# } ?? ""
        return """
            {"distributorCode": "\(distributor)", "invoiceNumber": "\(number)", "invoiceDate": "\(BusinessDate.today())",
             "institutionCode": "YJ-TCMH", "upstreamSupplierCode": "MFR-001", "upstreamInvoiceNumber": "M-\(number)",
             "lines": [{"orderId": \(s.orderID), "orderLineNo": 1, \(lotField)"quantity": "\(quantity)", "unitPrice": "\(s.price)",
                        "amount": "\(amount.formatted(places: 2))"}]}
            """
    }

    static func discrepancies(_ r: TestResponse) -> [String] {
        (((r.json["lines"] as? [[String: Any]]) ?? []).first?["discrepancies"] as? [String]) ?? []
    }

    @Test("18.1: the same received units cannot be invoiced twice; the second invoice is billed_beyond_received and not payable")
    func sameUnitsInvoicedTwice() async throws {
        try await TestApp.run { app in
            let s = try await Self.received(app)
            let first = try await app.call(
                .post, "\(Self.base)/invoices", token: s.admin, json: Self.invoice(s, "INV-1", quantity: 4))
            #expect(first.status == .created && first.json["matched"] as? Bool == true, "\(first.text)")
            for number in ["INV-2", "INV-3"] {
                let again = try await app.call(
                    .post, "\(Self.base)/invoices", token: s.admin, json: Self.invoice(s, number, quantity: 4))
                #expect(again.status == .created)
                #expect(again.json["matched"] as? Bool == false, "\(again.text)")
                #expect(Self.discrepancies(again) == ["billed_beyond_received"])
            }
            let payables = try await app.call(.get, "\(Self.base)/payables", token: s.admin)
            #expect(
                ((payables.json["items"] as? [[String: Any]]) ?? []).compactMap { $0["invoiceNumber"] as? String } == ["INV-1"])
            let second = try #require(
                try await app.database.rows("SELECT id FROM invoices WHERE invoice_number = 'INV-2'", as: Int64.self).first)
            try await app.call(
                .post, "\(Self.base)/invoices/\(second)/payment", token: s.admin,
                json: #"{"paidOn": "\#(BusinessDate.today())", "amount": "1.00", "reference": "X"}"#
            )
            .expectProblem(.unprocessableContent)
            #expect(try await app.count("SELECT count(*)::int FROM payments") == 0)
        }
    }

    @Test("18.1: billing in parts by lot: what remains unbilled may be billed, a lot not received on the line may not")
    func billingByLot() async throws {
        try await TestApp.run { app in
            let s = try await Self.received(app, received: "10")
            let part = try await app.call(
                .post, "\(Self.base)/invoices", token: s.admin,
                json: Self.invoice(s, "INV-1", quantity: 6, lot: "BS261115"))
            #expect(Self.discrepancies(part) == ["quantity_differs"], "6 of 10 leaves 4 unbilled: \(part.text)")
            let rest = try await app.call(
                .post, "\(Self.base)/invoices", token: s.admin,
                json: Self.invoice(s, "INV-2", quantity: 4, lot: "BS261115"))
            #expect(rest.json["matched"] as? Bool == true, "\(rest.text)")
            #expect((((rest.json["lines"] as? [[String: Any]]) ?? []).first?["lotNumber"] as? String) == "BS261115")
            let otherLot = try await app.call(
                .post, "\(Self.base)/invoices", token: s.admin,
                json: Self.invoice(s, "INV-3", quantity: 1, lot: "NEVER-RECEIVED"))
            #expect(Self.discrepancies(otherLot) == ["billed_beyond_received"], "\(otherLot.text)")
        }
    }

    @Test("18.1: two invoices racing for the same units: one wins")
    func racingInvoices() async throws {
        try await TestApp.run { app in
            let s = try await Self.received(app)
            let matched = try await withThrowingTaskGroup(of: Bool.self) { group in
                for n in 0..<6 {
                    group.addTask {
                        let r = try await app.call(
                            .post, "\(Self.base)/invoices", token: s.admin, json: Self.invoice(s, "RACE-\(n)", quantity: 4))
                        #expect(r.status == .created, "\(r.text)")
                        return r.json["matched"] as? Bool == true
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(matched == 1)
            #expect(try await app.count("SELECT count(*)::int FROM invoice_lines WHERE cardinality(discrepancies) = 0") == 1)
        }
    }

    @Test("18.2: an invoice from a distributor that did not supply the line is wrong_distributor, not matched")
    func wrongDistributor() async throws {
        try await TestApp.run { app in
            let s = try await Self.received(app)
            let r = try await app.call(
                .post, "\(Self.base)/invoices", token: s.admin,
                json: Self.invoice(s, "CR-1", quantity: 4, distributor: "DST-CR-JL"))
            #expect(r.status == .created, "\(r.text)")
            #expect(r.json["matched"] as? Bool == false)
            #expect(Self.discrepancies(r) == ["wrong_distributor"])
            // The same line in a file: the same verdict.
            let line =
                "DST-CR-JL,CR-1,\(BusinessDate.today()),M-CR-1,MFR-001,YJ-TCMH,\(s.drug),BS261115,4,\(s.price),"
                + InvoiceLineRules.expectedAmount(quantity: 4, unitPrice: s.price).formatted(places: 2) + "\n"
            let out = try await ReconcileInvoices(database: app.database).run(
                data: Data((ReconciliationTests.header + line.replacingOccurrences(of: ",CR-1,", with: ",CR-F,")).utf8),
                fileName: "cr.csv", consortiumCode: "JLTCM", asOf: .today(), createdBy: "tester")
            #expect(out.report?.discrepancies.map(\.classification) == [.wrongDistributor], "\(out.output)")
        }
    }

    @Test("18.13: an invoice is paid in parts; payables show what remains; never more than the total; a reference once")
    func paymentInParts() async throws {
        try await TestApp.run { app in
            let s = try await Self.received(app)
            let r = try await app.call(
                .post, "\(Self.base)/invoices", token: s.admin, json: Self.invoice(s, "INV-1", quantity: 4))
            let id = try #require(r.json["id"] as? Int)
            let total = InvoiceLineRules.expectedAmount(quantity: 4, unitPrice: s.price)
            let finance = try await app.token(.finance)
            let part = Money(Decimal(string: "0.01")!)
            let first = try await app.call(
                .post, "\(Self.base)/invoices/\(id)/payment", token: finance,
                json: #"{"paidOn": "\#(BusinessDate.today())", "amount": "0.01", "reference": "ZF-1"}"#)
            #expect(first.status == .created, "\(first.text)")
            #expect(first.json["paid"] as? String == "0.01")
            #expect(first.json["remaining"] as? String == (total - part).formatted(places: 2))
            #expect(first.json["status"] as? String == "overdue")
            // Paid in part: still outstanding, not settled.
            #expect(try await app.count("SELECT count(*)::int FROM invoices WHERE settled_on IS NULL") == 1)
            try await app.call(
                .post, "\(Self.base)/invoices/\(id)/payment", token: finance,
                json: #"{"paidOn": "\#(BusinessDate.today())", "amount": "0.01", "reference": "ZF-1"}"#
            )
            .expectProblem(.conflict)
            try await app.call(
                .post, "\(Self.base)/invoices/\(id)/payment", token: finance,
                json: #"{"paidOn": "\#(BusinessDate.today())", "amount": "\#(total.formatted(places: 2))", "reference": "ZF-2"}"#
            )
            .expectProblem(.unprocessableContent, naming: "amount")
            let rest = try await app.call(
                .post, "\(Self.base)/invoices/\(id)/payment", token: finance,
                json:
                    #"{"paidOn": "\#(BusinessDate.today())", "amount": "\#((total - part).formatted(places: 2))", "reference": "ZF-2"}"#
            )
            #expect(rest.json["status"] as? String == "paid", "\(rest.text)")
            #expect(rest.json["remaining"] as? String == "0.00")
            // The payment that reached the total settled the invoice on its date (the database keeps it): due and
            // overdue, read through the unsettled invoices only, no longer list it; every payable still does.
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM invoices WHERE settled_on = \(BusinessDate.today().description)::date") == 1)
            let overdue = try await app.call(.get, "\(Self.base)/payables?status=overdue", token: finance)
            #expect((overdue.json["items"] as? [Any])?.count == 0, "\(overdue.text)")
            let every = try await app.call(.get, "\(Self.base)/payables", token: finance)
            #expect((every.json["items"] as? [[String: Any]])?.first?["status"] as? String == "paid", "\(every.text)")
            #expect(try await app.count("SELECT count(*)::int FROM payments") == 2)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'payment'") == 2)
            try await app.call(
                .post, "\(Self.base)/invoices/\(id)/payment", token: finance,
                json: #"{"paidOn": "\#(BusinessDate.today())", "amount": "0.01", "reference": "ZF-3"}"#
            )
            .expectProblem(.unprocessableContent, naming: "amount")
        }
    }

    @Test(
        "18.4: finance reviews an invoice's discrepancies: resolved makes it payable, disputed does not; a note is required; audited"
    )
    func financeReviewsInvoices() async throws {
        try await TestApp.run { app in
            let s = try await Self.received(app)
            _ = try await app.call(.post, "\(Self.base)/invoices", token: s.admin, json: Self.invoice(s, "INV-1", quantity: 4))
            let second = try await app.call(
                .post, "\(Self.base)/invoices", token: s.admin, json: Self.invoice(s, "INV-2", quantity: 4))
            let id = try #require(second.json["id"] as? Int)
            let finance = try await app.token(.finance)
            let uri = "\(Self.base)/invoices/\(id)/review"
            try await app.call(.post, uri, token: s.admin, json: #"{"status": "resolved", "note": "x"}"#).expectProblem(
                .forbidden)
            try await app.call(.post, uri, token: finance, json: #"{"status": "resolved", "note": "  "}"#)
                .expectProblem(.unprocessableContent, naming: "note")
            let disputed = try await app.call(
                .post, uri, token: finance, json: #"{"status": "disputed", "note": "配送企业重复开票，已去函"}"#)
            #expect(disputed.status == .ok && disputed.json["review"] as? String == "disputed", "\(disputed.text)")
            #expect((try await app.call(.get, "\(Self.base)/payables", token: finance).json["items"] as? [Any])?.count == 1)
            let resolved = try await app.call(.post, uri, token: finance, json: #"{"status": "resolved", "note": "红字发票冲销后重开"}"#)
            #expect(resolved.json["review"] as? String == "resolved", "\(resolved.text)")
            #expect((try await app.call(.get, "\(Self.base)/payables", token: finance).json["items"] as? [Any])?.count == 2)
            try await app.call(.post, uri, token: finance, json: #"{"status": "disputed", "note": "again"}"#).expectProblem(
                .conflict)
            #expect(
                try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'invoice' AND action = 'review'")
                    == 2)
            // A matched invoice has nothing to review.
            let matched = try #require(
                try await app.database.rows("SELECT id FROM invoices WHERE invoice_number = 'INV-1'", as: Int64.self).first)
            try await app.call(
                .post, "\(Self.base)/invoices/\(matched)/review", token: finance, json: #"{"status": "resolved", "note": "x"}"#
            )
            .expectProblem(.conflict)
        }
    }

    @Test("18.4: finance reads runs and marks a file's discrepancy resolved or disputed with a note; the run records who ran it")
    func financeReviewsRuns() async throws {
        try await TestApp.run { app in
            let d = try await ReconciliationTests.received(app, count: 1)
            let text =
                ReconciliationTests.header
                + ReconciliationTests.line("INV-1", d[0], lot: "L0", price: d[0].price + Money(1))
                + ReconciliationTests.line("INV-2", d[0], lot: "NOPE")
            let out = try await ReconcileInvoices(database: app.database).run(
                data: Data(text.utf8), fileName: "f.csv", consortiumCode: "JLTCM", asOf: .today(), createdBy: "王会计")
            let runID = try #require(out.report?.runID)
            let finance = try await app.token(.finance)
            let run = try await app.call(.get, "\(Self.base)/reconciliations/\(runID)", token: finance)
            #expect(run.status == .ok && run.json["createdBy"] as? String == "王会计", "\(run.text)")
            let uri = "\(Self.base)/reconciliations/\(runID)/lines/2/review"
            let reviewed = try await app.call(
                .post, uri, token: finance, json: #"{"status": "disputed", "note": "单价与中标价不符，已退回"}"#)
            #expect(reviewed.status == .ok, "\(reviewed.text)")
            let items = (reviewed.json["items"] as? [[String: Any]]) ?? []
            #expect(
                items.count == 1 && items.first?["review"] as? String == "disputed"
                    && items.first?["reviewNote"] as? String == "单价与中标价不符，已退回")
            try await app.call(
                .post, "\(Self.base)/reconciliations/\(runID)/lines/2/review", token: finance,
                json: #"{"status": "resolved", "note": "x", "classification": "amount_mismatch"}"#
            ).expectProblem(.notFound)
            try await app.call(
                .post, "\(Self.base)/reconciliations/\(runID)/lines/9/review", token: finance,
                json: #"{"status": "resolved", "note": "x"}"#
            ).expectProblem(.notFound)
            let admin = try await app.token(.consortiumAdmin)
            try await app.call(.post, uri, token: admin, json: #"{"status": "resolved", "note": "x"}"#).expectProblem(.forbidden)
            let again = try await app.call(.get, "\(Self.base)/reconciliations/\(runID)", token: admin)
            let line2 = ((again.json["discrepancies"] as? [[String: Any]]) ?? []).first { $0["lineNumber"] as? Int == 2 }
            #expect(line2?["review"] as? String == "disputed")
            #expect(
                try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'reconciliation_discrepancy'") == 1)
            // Another consortium's finance sees nothing of it.
            try await TransferTests.otherConsortium(app)
            let outsider = try await app.token(.finance, consortium: "OTHER")
            #expect(
                [403, 404].contains(
                    try await app.call(.get, "\(Self.base)/reconciliations/\(runID)", token: outsider).status.code))
            try await app.call(.post, uri, token: outsider, json: #"{"status": "resolved", "note": "x"}"#).expectProblem(
                .notFound)
        }
    }
}

extension BillingTests {
    @Test("18.4: reconcile records who ran it: --operator, else the --token's holder, else $USER; a bad token exits 2")
    func operatorOfARun() async throws {
        let binary = try #require(Command.binary, "build consortiumrx first (swift build --build-tests)")
        try await TestApp.run { app in
            let finance = try await TokenUseCases(database: app.database).create(
                role: .finance, consortiumCode: "JLTCM", institutionCode: nil, name: "李会计", expiresAt: nil,
                actor: .console("test")
            ).token
            let cli = Command(binary: binary, databaseURL: app.databaseURL, user: "os-user")
            func command(_ arguments: [String]) throws -> (status: Int32, err: String) {
                let run = try cli.run(["reconcile", "catalogues", "--consortium", "JLTCM"] + arguments)
                return (run.status, run.err)
            }
            #expect(try command([]).status != 2)
            #expect(try command(["--operator", "张药师"]).status != 2)
            #expect(try command(["--token", finance]).status != 2)
            let bad = try command(["--token", "crx_not-a-token"])
            #expect(bad.status == 2 && bad.err.contains("--token"), "\(bad.err)")
            let names = try await app.database.rows("SELECT created_by FROM reconciliation_runs ORDER BY id", as: String.self)
            #expect(names.count == 3)
            #expect(names.first == "os-user")
            #expect(names.dropFirst().first == "张药师")
            #expect(names.last?.hasSuffix(":李会计") == true, "\(names)")
        }
    }
}

extension BillingTests {
    @Test("18.5: an invoice and an invoice file bill the lot received as BS261115 under any spelling of it")
    func lotSpellings() async throws {
        try await TestApp.run { app in
            let s = try await Self.received(app, received: "10")
            let api = try await app.call(
                .post, "\(Self.base)/invoices", token: s.admin,
                json: Self.invoice(s, "INV-1", quantity: 4, lot: " bs261115 "))
            #expect(Self.discrepancies(api) == ["quantity_differs"], "4 of 10 billed, 6 remain: \(api.text)")
            let amount = InvoiceLineRules.expectedAmount(quantity: 6, unitPrice: s.price).formatted(places: 2)
            let text =
                ReconciliationTests.header
                + "DST-SINOPHARM-JL,INV-F,\(BusinessDate.today()),M-F,MFR-001,YJ-TCMH,\(s.drug),ＢＳ２６１１１５,6,\(s.price),\(amount)\n"
            let out = try await ReconcileInvoices(database: app.database).run(
                data: Data(text.utf8), fileName: "lots.csv", consortiumCode: "JLTCM", asOf: .today(), createdBy: "tester")
            #expect(out.status == 0, "\(out.output)")
        }
    }
}
