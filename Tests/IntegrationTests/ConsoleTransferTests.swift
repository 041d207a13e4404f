import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// Issue 27: transfers of hospital preparations in the console: the approvals with their balances, and one with its
/// shipments and receipts, as the API reads them.
@Suite("Console transfers")
struct ConsoleTransferTests {
    typealias T = TransferTests

    @Test(
        "27: an approval's balance (approved, shipped, received, left, days left) and its shipments with their receipts, as the API has them; for Excel too"
    )
    func approvalWithBalance() async throws {
        try await TestApp.run { app in
            try await T.freshen(app)
            let approval = try #require(
                try await T.approve(
                    app, try await app.token(.regulator), quantity: "20", receivers: ["YJ-TCMH"], to: T.today.adding(days: 45)
                ).json["id"] as? Int)
            let producer = try await app.token(.procurementOfficer, institution: "JL-TCMH")
            let receiver = try await app.token(.institutionPharmacist, institution: "YJ-TCMH")
            let shipment = try #require(try await T.ship(app, producer, approval: approval, quantity: "6").json["id"] as? Int)
            let received = try await app.call(
                .post, "/v1/transfer-shipments/\(shipment)/receipts", token: receiver,
                json: #"{"quantityReceived": "5", "condition": "damaged", "note": "一袋破损"}"#)
            #expect(received.status == .created, "\(received.text)")
            let api = try await app.call(.get, "/v1/transfer-approvals/\(approval)", token: try await app.token(.auditor))

            var (jar, _) = try await ConsoleCatalogueTests.session(app, "pharm", .institutionPharmacist, institution: "YJ-TCMH")
            let list = try await ConsoleTests.get(app, "/console/transfers", jar: &jar)
            #expect(list.status == .ok && list.text.contains(#"aria-current="page">制剂调剂</a>"#))
            let row = try #require(
                ConsoleReconciliationTests.rows(list.text, id: "transfer-approvals").first { $0.first == String(approval) })
            // approved (with unit), shipped, received, left, valid to, days left, state
            #expect(
                row[6].hasPrefix("20") && row[7] == "6" && row[8] == "5" && row[9] == api.json["remainingQuantity"] as? String)
            #expect(row[11] == String(api.json["daysLeft"] as? Int ?? -1) && row[12] == "有效", "\(row)")

            let one = try await ConsoleTests.get(app, "/console/transfers/\(approval)", jar: &jar)
            #expect(one.status == .ok)
            let shipments = ConsoleReconciliationTests.rows(one.text, id: "transfer-shipments")
            #expect(shipments.count == 1 && shipments[0][1] == "YJ-TCMH" && shipments[0][8] == "5", "\(shipments)")
            #expect(shipments[0][9] == "破损（一袋破损）")

            let csv = try await ConsoleTests.get(app, "/console/transfers?format=csv", jar: &jar)
            #expect(csv.text.hasPrefix("\u{FEFF}批件编号,类别,批准文件,药品编码"), "\(csv.text.prefix(80))")
            #expect(csv.text.contains("药监部门批准"))
            #expect(try await ConsoleTests.get(app, "/console/transfers/999999", jar: &jar).status == .notFound)
        }
    }
}

/// Issue 27: a preparation's shipments and receipts in the console, by `TransferUseCases` as the API does.
@Suite("Console preparation shipments")
struct ConsolePreparationShipmentTests {
    typealias T = TransferTests

    @Test(
        "27: the producer ships a lot (over the approval refused beside the quantity, nothing written); the receiver records what arrived; others get no forms"
    )
    func shipAndReceive() async throws {
        try await TestApp.run { app in
            try await T.freshen(app)
            let approval = try #require(
                try await T.approve(
                    app, try await app.token(.regulator), quantity: "20", receivers: ["YJ-TCMH"], to: T.today.adding(days: 45)
                ).json["id"] as? Int)
            var (producer, csrf) = try await ConsoleCatalogueTests.session(
                app, "maker", .procurementOfficer, institution: "JL-TCMH")
            let page = try await ConsoleTests.get(app, "/console/transfers/\(approval)", jar: &producer)
            #expect(page.text.contains(#"id="preparation-ship""#))
            func ship(_ quantity: String) async throws -> TestResponse {
                try await ConsoleCatalogueTests.post(
                    app, "/console/transfers/\(approval)/shipments",
                    [
                        ("csrf", csrf), ("receiver", "YJ-TCMH"), ("lot", "20261201"),
                        ("produced", T.today.adding(days: -10).description), ("expiry", T.today.adding(days: 700).description),
                        ("quantity", quantity), ("shipped_on", T.today.description),
                    ], jar: &producer)
            }
            let over = try await ship("21")
            #expect(over.status == .unprocessableContent && over.text.contains(#"id="ps-quantity-error""#), "\(over.status)")
            #expect(try await app.count("SELECT count(*)::int FROM transfer_shipments") == 0)
            let shipped = try await ship("6")
            #expect(shipped.status.code / 100 == 3, "\(shipped.status) \(shipped.text)")
            let shipment = try #require(try await app.database.rows("SELECT id FROM transfer_shipments", as: Int64.self).first)

            var (receiver, receiverCSRF) = try await ConsoleCatalogueTests.session(
                app, "pharm", .institutionPharmacist, institution: "YJ-TCMH")
            let theirs = try await ConsoleTests.get(app, "/console/transfers/\(approval)", jar: &receiver)
            #expect(theirs.text.contains(#"id="receive-\#(shipment)""#) && !theirs.text.contains(#"id="preparation-ship""#))
            let received = try await ConsoleCatalogueTests.post(
                app, "/console/transfers/\(approval)/shipments/\(shipment)/receive",
                [
                    ("csrf", receiverCSRF), ("received_on", T.today.description), ("received", "5"), ("condition", "damaged"),
                    ("note", "一袋破损"),
                ], jar: &receiver)
            #expect(received.status.code / 100 == 3, "\(received.status) \(received.text)")
            let after = try await ConsoleTests.get(app, "/console/transfers/\(approval)", jar: &receiver)
            #expect(!after.text.contains(#"id="receive-\#(shipment)""#) && after.text.contains("一袋破损"))
            #expect(after.text.contains(#"<td class="money" id="transfer-remaining">14</td>"#))
        }
    }
}
