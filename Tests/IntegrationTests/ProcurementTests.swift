import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import RxAPI
import RxDomain
import RxStore
import Testing

@Suite("Unified procurement")
struct ProcurementTests {
    static let base = "/v1/consortia/JLTCM"

    /// Catalogue drugs without level restrictions, with their unified prices.
    static func drugs(_ app: TestApp, count: Int) async throws -> [(code: String, price: Decimal)] {
        try await app.database.rows(
            """
            SELECT c.drug_code, p.unit_price FROM catalogue_items c
            JOIN price_agreements p ON p.drug_code = c.drug_code AND p.status = 'in_effect'
            JOIN drugs d ON d.code = c.drug_code
            WHERE cardinality(c.levels) = 0 AND d.category = 'western' ORDER BY c.drug_code LIMIT \(count)
            """, as: (String, Decimal).self)
    }

    static func order(
        _ app: TestApp, _ token: String, institution: String = "YJ-TCMH", _ lines: [(String, String)],
        key: String? = nil
    ) async throws -> TestResponse {
        let body = lines.map { #"{"drugCode": "\#($0.0)", "quantity": "\#($0.1)"}"# }.joined(separator: ", ")
        return try await app.call(
            .post, "/v1/institutions/\(institution)/orders", token: token, json: #"{"lines": [\#(body)]}"#,
            headers: key.map { [.init("Idempotency-Key")!: $0] } ?? [:])
    }

    /// An order of one member, submitted and consolidated, ready to receive.
    static func consolidatedOrder(_ app: TestApp, member: String, admin: String, drug: String, quantity: String) async throws
        -> Int
    {
        try await app.call(
            .put, "\(base)/distributor-contracts/\(drug)", token: admin, json: #"{"distributorCode": "DST-SINOPHARM-JL"}"#)
        let created = try await order(app, member, [(drug, quantity)])
        let id = try #require(created.json["id"] as? Int, "\(created.text)")
        #expect(try await app.call(.post, "\(base)/orders/\(id)/submit", token: member).status == .ok)
        #expect(try await app.call(.post, "\(base)/consolidations", token: admin).status == .ok)
        return id
    }

    @Test("an order takes the unified price; drugs outside the member's catalogue or without a price are named, line by line")
    func catalogueAndPriceChecks() async throws {
        try await TestApp.run { app in
            let officer = try await app.token(.procurementOfficer, institution: "SL-PA-HQ-VC")
            let (drug, price) = try await Self.drugs(app, count: 1)[0]
            let narcotic = try await app.database.rows(
                "SELECT code FROM drugs WHERE control_class = 'narcotic' ORDER BY code LIMIT 1", as: String.self)[0]
            let (unpriced, _) = try await Self.drugs(app, count: 2)[1]
            try await app.database.transaction { c in
                try await c.sql("DELETE FROM price_agreements WHERE drug_code = \(unpriced)")
            }
            #expect(
                try await app.count("SELECT count(*)::int FROM price_agreements WHERE drug_code = \(unpriced)") == 0,
                "\(unpriced) \(drug)")
            let refused = try await Self.order(
                app, officer, institution: "SL-PA-HQ-VC", [(drug, "2"), (narcotic, "1"), (unpriced, "1")])
            refused.expectProblem(.unprocessableContent)
            let fields = ((refused.json["errors"] as? [[String: Any]]) ?? []).compactMap { $0["field"] as? String }
            #expect(fields == ["lines[1].drugCode", "lines[2].drugCode"], "\(refused.text)")
            #expect(try await app.count("SELECT count(*)::int FROM purchase_orders") == 0)

            let ok = try await Self.order(app, officer, institution: "SL-PA-HQ-VC", [(drug, "2")])
            #expect(ok.status == .created, "\(ok.text)")
            let line = ((ok.json["lines"] as? [[String: Any]]) ?? [])[0]
            #expect(line["unitPrice"] as? String == Money(price).description)
            #expect(ok.json["status"] as? String == "draft")
            // The client cannot name a price.
            try await app.call(
                .post, "/v1/institutions/SL-PA-HQ-VC/orders", token: officer,
                json: #"{"lines": [{"drugCode": "\#(drug)", "quantity": "1", "unitPrice": "0.01"}]}"#
            ).expectProblem(.badRequest)
        }
    }

    @Test("Idempotency-Key: a retry returns the first order; another body with the key is 422; racing retries make one order")
    func idempotentRetries() async throws {
        try await TestApp.run { app in
            let officer = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let (drug, _) = try await Self.drugs(app, count: 1)[0]
            let first = try await Self.order(app, officer, [(drug, "5")], key: "order-2026-11-001")
            let again = try await Self.order(app, officer, [(drug, "5")], key: "order-2026-11-001")
            #expect(first.status == .created && again.status == .created)
            #expect(first.json["id"] as? Int == again.json["id"] as? Int)
            try await Self.order(app, officer, [(drug, "6")], key: "order-2026-11-001").expectProblem(
                .unprocessableContent, naming: "Idempotency-Key")
            try await withThrowingTaskGroup(of: Int?.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await Self.order(app, officer, [(drug, "7")], key: "race-key").json["id"] as? Int }
                }
                var ids = Set<Int>()
                for try await id in group { if let id { ids.insert(id) } }
                #expect(ids.count == 1)
            }
            #expect(try await app.count("SELECT count(*)::int FROM purchase_orders") == 2)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'purchase_order'") == 2)
        }
    }

    @Test("every state move, and the 409s of the ones that do not fit")
    func stateMoves() async throws {
        try await TestApp.run { app in
            let officer = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let admin = try await app.token(.consortiumAdmin)
            let (drug, _) = try await Self.drugs(app, count: 1)[0]
            let draft = try #require(try await Self.order(app, officer, [(drug, "1")]).json["id"] as? Int)
            try await app.call(.post, "\(Self.base)/orders/\(draft)/close", token: officer).expectProblem(.conflict)
            #expect(
                try await app.call(.post, "\(Self.base)/orders/\(draft)/cancel", token: officer).json["status"] as? String
                    == "cancelled")
            try await app.call(.post, "\(Self.base)/orders/\(draft)/submit", token: officer).expectProblem(.conflict)

            let id = try await Self.consolidatedOrder(app, member: officer, admin: admin, drug: drug, quantity: "10")
            try await app.call(.post, "\(Self.base)/orders/\(id)/cancel", token: officer).expectProblem(.conflict)
            try await app.call(.post, "\(Self.base)/orders/\(id)/close", token: officer).expectProblem(.conflict)
            let expiry = BusinessDate.today().adding(months: 24)
            let partly = try await app.call(
                .post, "\(Self.base)/orders/\(id)/deliveries", token: officer,
                json: #"{"lineNo": 1, "lotNumber": "L2026A", "expiryDate": "\#(expiry)", "quantity": "4"}"#)
            #expect(partly.json["status"] as? String == "partly_received", "\(partly.text)")
            let full = try await app.call(
                .post, "\(Self.base)/orders/\(id)/deliveries", token: officer,
                json: #"{"lineNo": 1, "lotNumber": "L2026B", "expiryDate": "\#(expiry)", "quantity": "6"}"#)
            #expect(full.json["status"] as? String == "received")
            #expect(
                try await app.call(.post, "\(Self.base)/orders/\(id)/close", token: officer).json["status"] as? String == "closed"
            )
            try await app.call(
                .post, "\(Self.base)/orders/\(id)/deliveries", token: officer,
                json: #"{"lineNo": 1, "lotNumber": "L2026C", "expiryDate": "\#(expiry)", "quantity": "1"}"#
            ).expectProblem(.conflict)
        }
    }

    @Test("consolidation makes one order per distributor, each line keeping its member; an uncontracted drug stops it")
    func consolidation() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let a = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let b = try await app.token(.institutionPharmacist, institution: "CY-BJL-CHC")
            let ds = try await Self.drugs(app, count: 3)
            for (token, institution) in [(a, "YJ-TCMH"), (b, "CY-BJL-CHC")] {
                let id = try #require(
                    try await Self.order(app, token, institution: institution, [(ds[0].code, "3"), (ds[1].code, "2")]).json["id"]
                        as? Int)
                _ = try await app.call(.post, "\(Self.base)/orders/\(id)/submit", token: token)
            }
            let uncontracted = try await app.call(.post, "\(Self.base)/consolidations", token: admin)
            uncontracted.expectProblem(.unprocessableContent, naming: ds[0].code)
            #expect(try await app.count("SELECT count(*)::int FROM consolidated_orders") == 0)

            try await app.call(
                .put, "\(Self.base)/distributor-contracts/\(ds[0].code)", token: admin,
                json: #"{"distributorCode": "DST-SINOPHARM-JL"}"#)
            try await app.call(
                .put, "\(Self.base)/distributor-contracts/\(ds[1].code)", token: admin, json: #"{"distributorCode": "DST-CR-JL"}"#
            )
            try await app.call(
                .put, "\(Self.base)/distributor-contracts/\(ds[2].code)", token: admin, json: #"{"distributorCode": "MFR-001"}"#
            )
            .expectProblem(.unprocessableContent, naming: "distributorCode")
            try await app.call(.post, "\(Self.base)/consolidations", token: a).expectProblem(.forbidden)
            let result = try await app.call(.post, "\(Self.base)/consolidations", token: admin)
            let items = (result.json["items"] as? [[String: Any]]) ?? []
            #expect(items.count == 2)
            #expect(Set(items.compactMap { $0["distributorCode"] as? String }) == ["DST-SINOPHARM-JL", "DST-CR-JL"])
            for item in items {
                let lines = (item["lines"] as? [[String: Any]]) ?? []
                #expect(Set(lines.compactMap { $0["institutionCode"] as? String }) == ["YJ-TCMH", "CY-BJL-CHC"])
            }
            #expect(try await app.count("SELECT count(*)::int FROM purchase_orders WHERE status = 'consolidated'") == 2)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE action = 'consolidate'") == 1)
        }
    }

    @Test("receiving refuses over-delivery, expired and short-dated lots unless recorded as an exception")
    func receivingRules() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let member = try await app.token(.institutionPharmacist, institution: "YJ-TCMH")
            let (drug, _) = try await Self.drugs(app, count: 1)[0]
            let id = try await Self.consolidatedOrder(app, member: member, admin: admin, drug: drug, quantity: "10")
            let today = BusinessDate.today()
            let uri = "\(Self.base)/orders/\(id)/deliveries"
            try await app.call(
                .post, uri, token: member,
                json: #"{"lineNo": 1, "lotNumber": "A", "expiryDate": "\#(today.adding(months: 24))", "quantity": "11"}"#
            )
            .expectProblem(.unprocessableContent, naming: "quantity")
            try await app.call(
                .post, uri, token: member, json: #"{"lineNo": 1, "lotNumber": "B", "expiryDate": "\#(today)", "quantity": "1"}"#
            )
            .expectProblem(.unprocessableContent, naming: "expiryDate")
            try await app.call(
                .post, uri, token: member,
                json: #"{"lineNo": 1, "lotNumber": "C", "expiryDate": "\#(today.adding(months: 5))", "quantity": "1"}"#
            )
            .expectProblem(.unprocessableContent, naming: "expiryDate")
            #expect(try await app.count("SELECT count(*)::int FROM deliveries") == 0)
            let other = try await app.token(.institutionPharmacist, institution: "SL-TCMH")
            try await app.call(
                .post, uri, token: other,
                json: #"{"lineNo": 1, "lotNumber": "D", "expiryDate": "\#(today.adding(months: 24))", "quantity": "1"}"#
            )
            .expectProblem(.notFound)
            let exception = try await app.call(
                .post, uri, token: member,
                json: """
                    {"lineNo": 1, "lotNumber": "C", "expiryDate": "\(today.adding(months: 5))", "quantity": "1", "exceptionReason": "急需，科室同意近效期"}
                    """)
            #expect(exception.status == .created, "\(exception.text)")
            #expect(try await app.count("SELECT count(*)::int FROM deliveries WHERE exception_reason IS NOT NULL") == 1)
        }
    }

    @Test("invoices: the two-invoice rule, unique numbers, discrepancies marked not refused, then payment due, overdue, paid")
    func invoicesAndPayment() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let member = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let (drug, price) = try await Self.drugs(app, count: 1)[0]
            let id = try await Self.consolidatedOrder(app, member: member, admin: admin, drug: drug, quantity: "10")
            let received = BusinessDate.today().adding(days: -40)
            // The order was placed before the goods came (a delivery is never dated before its order: 18.9).
            try await app.database.transaction { c in
                try await c.sql(
                    "UPDATE purchase_orders SET order_date = \(received.adding(days: -5).description)::date WHERE id = \(id)")
            }
            try await app.call(
                .post, "\(Self.base)/orders/\(id)/deliveries", token: member,
                json: """
                    {"lineNo": 1, "lotNumber": "L1", "expiryDate": "\(BusinessDate.today().adding(months: 24))", "quantity": "10", "receivedOn": "\(received)"}
                    """)
            let unit = Money(price)
            func invoice(_ number: String, upstream: String, quantity: String = "10", price: Money, amount: Money) -> String {
                """
                {"distributorCode": "DST-SINOPHARM-JL", "invoiceNumber": "\(number)", "invoiceDate": "\(BusinessDate.today())",
                 "institutionCode": "YJ-TCMH", "upstreamSupplierCode": "\(upstream)", "upstreamInvoiceNumber": "M-\(number)",
                 "lines": [{"orderId": \(id), "orderLineNo": 1, "quantity": "\(quantity)", "unitPrice": "\(price)", "amount": "\(amount.formatted(places: 2))"}]}
                """
            }
            let total = (unit * 10).rounded(2)
            try await app.call(
                .post, "\(Self.base)/invoices", token: admin,
                json: invoice("INV-0", upstream: "DST-CR-JL", price: unit, amount: total)
            )
            .expectProblem(.unprocessableContent, naming: "upstreamSupplierCode")
            let matched = try await app.call(
                .post, "\(Self.base)/invoices", token: admin,
                json: invoice("INV-1", upstream: "MFR-001", price: unit, amount: total))
            #expect(matched.status == .created, "\(matched.text)")
            #expect(matched.json["matched"] as? Bool == true)
            let viaSalesCompany = try await app.call(
                .post, "\(Self.base)/invoices", token: admin,
                json: invoice("INV-2", upstream: "MFR-001-SALES", quantity: "9", price: unit + Money(1), amount: Money(5)))
            #expect(viaSalesCompany.status == .created)
            let marked = ((viaSalesCompany.json["lines"] as? [[String: Any]]) ?? [])[0]["discrepancies"] as? [String]
            #expect(
                Set(marked ?? []) == ["price_differs", "billed_beyond_received", "amount_mismatch"],
                "the 10 received were billed by INV-1")
            try await app.call(
                .post, "\(Self.base)/invoices", token: admin,
                json: invoice("INV-1", upstream: "MFR-001", price: unit, amount: total)
            )
            .expectProblem(.conflict)

            let overdue = try await app.call(.get, "\(Self.base)/payables?status=overdue", token: admin)
            let items = (overdue.json["items"] as? [[String: Any]]) ?? []
            #expect(items.count == 1, "\(overdue.text)")
            #expect(items.first?["dueOn"] as? String == received.adding(days: 30).description)
            let invoiceID = try #require(matched.json["id"] as? Int)
            let discrepantID = try #require(viaSalesCompany.json["id"] as? Int)
            try await app.call(
                .post, "\(Self.base)/invoices/\(discrepantID)/payment", token: admin,
                json: #"{"paidOn": "\#(BusinessDate.today())", "amount": "5.00", "reference": "X"}"#
            ).expectProblem(.unprocessableContent)
            let paid = try await app.call(
                .post, "\(Self.base)/invoices/\(invoiceID)/payment", token: admin,
                json:
                    #"{"paidOn": "\#(BusinessDate.today())", "amount": "\#(total.formatted(places: 2))", "reference": "ZF-2026-11-01"}"#
            )
            #expect(paid.json["status"] as? String == "paid", "\(paid.text)")
            #expect(
                (try await app.call(.get, "\(Self.base)/payables?status=overdue", token: admin).json["items"] as? [Any])?.isEmpty
                    == true)
            try await app.call(.get, "\(Self.base)/payables", token: member).expectProblem(.forbidden)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type IN ('invoice', 'payment')") == 3)

            let spend = try await app.call(.get, "\(Self.base)/spend?from=2026-01-01&to=2030-12-31", token: admin)
            #expect(spend.json["total"] as? String == total.formatted(places: 2))
            #expect(spend.json["essentialShare"] as? String == "1.0000")
        }
    }

    @Test("a member sees only its own orders; the supply centre sees all; a prescriber cannot order")
    func scopes() async throws {
        try await TestApp.run { app in
            let a = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let b = try await app.token(.procurementOfficer, institution: "SL-TCMH")
            let admin = try await app.token(.consortiumAdmin)
            let (drug, _) = try await Self.drugs(app, count: 1)[0]
            let id = try #require(try await Self.order(app, a, [(drug, "1")]).json["id"] as? Int)
            try await app.call(.get, "\(Self.base)/orders/\(id)", token: b).expectProblem(.notFound)
            try await app.call(.get, "/v1/institutions/YJ-TCMH/orders", token: b).expectProblem(.forbidden)
            try await app.call(.post, "\(Self.base)/orders/\(id)/submit", token: b).expectProblem(.notFound)
            #expect(try await app.call(.get, "\(Self.base)/orders/\(id)", token: admin).status == .ok)
            #expect(
                (try await app.call(.get, "/v1/institutions/YJ-TCMH/orders", token: admin).json["items"] as? [Any])?.count == 1)
            try await Self.order(app, b, [(drug, "1")]).expectProblem(.forbidden)
            let prescriber = try await app.token(.prescriber, institution: "YJ-TCMH")
            try await Self.order(app, prescriber, [(drug, "1")]).expectProblem(.forbidden)
        }
    }
}

/// Issue 20: "today" comes from the server's clock (`AppConfiguration.clock`), so a test fixes the date instead of
/// depending on the day it runs.
@Suite("The business date comes from the server's clock")
struct BusinessClockTests {
    @Test("with a fixed clock an order is dated that day, and a price agreement's state is judged on it")
    func fixedClock() async throws {
        let day = try #require(BusinessDate("2027-03-01"))
        try await TestApp.run(configure: { $0.clock = .fixed(day) }) { app in
            let officer = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let (drug, _) = try await ProcurementTests.drugs(app, count: 1)[0]
            let created = try await ProcurementTests.order(app, officer, [(drug, "2")])
            #expect(created.status == .created, "\(created.text)")
            #expect(created.json["orderDate"] as? String == "2027-03-01", "\(created.text)")
        }
        #expect(BusinessClock.fixed(day).today() == day)
        #expect(BusinessClock.fixed(BusinessDate("2026-12-31")!).today().description == "2026-12-31")
    }
}
