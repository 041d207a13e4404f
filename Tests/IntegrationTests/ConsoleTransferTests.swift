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
