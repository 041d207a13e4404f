import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// Issue 27: an order in the console: submitted or cancelled by the member, and received by lot with the traceability
/// codes a barcode scanner types one per line, through `OrderUseCases` as the API does.
@Suite("Console order flow")
struct ConsoleOrderFlowTests {
    static let base = ProcurementTests.base

    @Test(
        "27: the member submits its draft, and after consolidation receives a lot with scanned traceability codes; a bad code is refused beside the box and nothing is written"
    )
    func submitAndReceive() async throws {
        try await TestApp.run { app in
            let officer = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let admin = try await app.token(.consortiumAdmin)
            let drug = try await ProcurementTests.drugs(app, count: 1)[0].code
            _ = try await app.call(
                .put, "\(Self.base)/distributor-contracts/\(drug)", token: admin,
                json: #"{"distributorCode": "DST-SINOPHARM-JL"}"#)
            let id = try #require(try await ProcurementTests.order(app, officer, [(drug, "10")]).json["id"] as? Int)

            var (jar, csrf) = try await ConsoleCatalogueTests.session(app, "buyer", .procurementOfficer, institution: "YJ-TCMH")
            let draft = try await ConsoleTests.get(app, "/console/orders/\(id)", jar: &jar)
            #expect(draft.status == .ok && draft.text.contains(#"id="order-submit""#) && !draft.text.contains("receive-form"))
            let submitted = try await ConsoleCatalogueTests.post(app, "/console/orders/\(id)/submit", [("csrf", csrf)], jar: &jar)
            #expect(submitted.status.code / 100 == 3, "\(submitted.status) \(submitted.text)")
            #expect(
                try await app.call(.get, "\(Self.base)/orders/\(id)", token: officer).json["status"] as? String == "submitted")
            // Submitting twice: the state's refusal on the order's page.
            let twice = try await ConsoleCatalogueTests.post(app, "/console/orders/\(id)/submit", [("csrf", csrf)], jar: &jar)
            #expect(twice.status == .conflict && twice.text.contains(#"id="refusal""#), "\(twice.status)")

            #expect(try await app.call(.post, "\(Self.base)/consolidations", token: admin).status.code / 100 == 2)
            try await app.database.transaction { c in
                try await c.query(
                    "INSERT INTO traceability_code_prefixes (prefix, drug_code, package) VALUES ('8123460', \(drug), '1盒')",
                    logger: Logger(label: "test"))
            }
            let page = try await ConsoleTests.get(app, "/console/orders/\(id)", jar: &jar)
            #expect(page.text.contains(#"id="receive-form""#), "consolidated: the receiving form")
            let expiry = BusinessDate.today().adding(months: 24).description
            func receive(_ codes: String, lot: String = "LOT-A") async throws -> TestResponse {
                try await ConsoleCatalogueTests.post(
                    app, "/console/orders/\(id)/receive",
                    [
                        ("csrf", csrf), ("lineNo", "1"), ("lotNumber", lot), ("expiryDate", expiry), ("quantity", "2"),
                        ("traceabilityCodes", codes), ("exceptionReason", ""),
                    ], jar: &jar)
            }
            // A scanner's Enter after each code: CRLF lines, a blank one at the end.
            let bad = try await receive("81234600000000000001\r\n8123460\r\n")
            #expect(bad.status == .unprocessableContent, "\(bad.status)")
            #expect(bad.text.contains(#"id="rc-codes-error""#) && bad.text.contains("8123460"), "\(bad.text)")
            #expect(try await app.count("SELECT count(*)::int FROM received_traceability_codes") == 0)

            let good = try await receive("81234600000000000001\r\n81234600000000000002\r\n")
            #expect(good.status.code / 100 == 3, "\(good.status) \(good.text)")
            #expect(try await app.count("SELECT count(*)::int FROM received_traceability_codes") == 2)
            let order = try await app.call(.get, "\(Self.base)/orders/\(id)", token: officer)
            #expect(order.json["status"] as? String == "partly_received", "\(order.text)")
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'delivery' AND actor = 'user:buyer'") == 1)
            let after = try await ConsoleTests.get(app, "/console/orders/\(id)?done=order_received", jar: &jar)
            #expect(after.text.contains("已验收入库") && after.text.contains(#"/console/orders/\#(id)/receipt"#))
        }
    }

    @Test("27: a draft is cancelled from its page; another member's order is not found")
    func cancel() async throws {
        try await TestApp.run { app in
            let officer = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let drug = try await ProcurementTests.drugs(app, count: 1)[0].code
            let id = try #require(try await ProcurementTests.order(app, officer, [(drug, "5")]).json["id"] as? Int)
            var (jar, csrf) = try await ConsoleCatalogueTests.session(app, "buyer", .procurementOfficer, institution: "YJ-TCMH")
            let cancelled = try await ConsoleCatalogueTests.post(app, "/console/orders/\(id)/cancel", [("csrf", csrf)], jar: &jar)
            #expect(cancelled.status.code / 100 == 3)
            let page = try await ConsoleTests.get(app, "/console/orders/\(id)?done=order_cancel", jar: &jar)
            #expect(page.text.contains("订单已撤销") && page.text.contains(#"<td id="order-status">已取消</td>"#))
            var (other, _) = try await ConsoleCatalogueTests.session(app, "sl", .procurementOfficer, institution: "SL-TCMH")
            #expect(try await ConsoleTests.get(app, "/console/orders/\(id)", jar: &other).status == .notFound)
        }
    }
}
