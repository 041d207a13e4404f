import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// Issue 27: stock transfers between members in the console: the sender's pharmacist creates and dispatches one,
/// the receiver's pharmacist receives it lot by lot with what arrived damaged and why; through
/// `StockTransferUseCases`, each step with its audit row.
@Suite("Console stock transfers")
struct ConsoleStockTransferTests {
    typealias D = StockDocumentTests

    @Test(
        "27: create, dispatch (FEFO), receive with one damaged and its reason; a drug outside the receiver's catalogue is refused beside its box and nothing is written"
    )
    func createDispatchReceive() async throws {
        try await TestApp.run { app in
            let drug = try await D.drug(in: "YJ-TCMH", app)
            try await D.stock(app, "JL-TCMH", drug, "L-LATE", days: 400, 10)
            try await D.stock(app, "JL-TCMH", drug, "L-EARLY", days: 200, 5)
            var (sender, csrf) = try await ConsoleCatalogueTests.session(
                app, "pharm-jl", .institutionPharmacist, institution: "JL-TCMH")

            let outside = try await D.drug(in: "YJ-TCMH", app, inside: false)
            let refused = try await ConsoleCatalogueTests.post(
                app, "/console/stock/transfers",
                [("csrf", csrf), ("sender", "JL-TCMH"), ("receiver", "YJ-TCMH"), ("drug", outside), ("quantity", "1")],
                jar: &sender)
            #expect(refused.status == .unprocessableContent && refused.text.contains(#"id="st-drug-error""#), "\(refused.text)")
            #expect(try await app.count("SELECT count(*)::int FROM stock_transfers") == 0)

            let created = try await ConsoleCatalogueTests.post(
                app, "/console/stock/transfers",
                [
                    ("csrf", csrf), ("sender", "JL-TCMH"), ("receiver", "YJ-TCMH"), ("drug", drug), ("quantity", "8"),
                    ("note", "支援"),
                ],
                jar: &sender)
            #expect(created.status.code / 100 == 3, "\(created.status) \(created.text)")
            let id = try #require(try await app.database.rows("SELECT id FROM stock_transfers", as: Int64.self).first)
            let dispatched = try await ConsoleCatalogueTests.post(
                app, "/console/stock/transfers/\(id)/dispatch", [("csrf", csrf)], jar: &sender)
            #expect(dispatched.status.code / 100 == 3, "\(dispatched.status) \(dispatched.text)")
            #expect(try await D.onHand(app, "JL-TCMH", drug) == 7)

            var (receiver, receiverCSRF) = try await ConsoleCatalogueTests.session(
                app, "pharm-yj", .institutionPharmacist, institution: "YJ-TCMH")
            let page = try await ConsoleTests.get(app, "/console/stock/transfers/\(id)", jar: &receiver)
            #expect(page.text.contains(#"<td id="transfer-status">在途</td>"#))
            let lots = ConsoleReconciliationTests.rows(page.text, id: "stock-transfer-lots").map { $0[2] }
            #expect(lots == ["L-EARLY", "L-LATE"], "FEFO: the earlier lot first, \(lots)")
            let received = try await ConsoleCatalogueTests.post(
                app, "/console/stock/transfers/\(id)/receive",
                [
                    ("csrf", receiverCSRF),
                    ("entry_line", "1"), ("entry_lot", "L-EARLY"), ("entry_received", "4"), ("entry_damaged", "1"),
                    ("entry_reason", "外包装破损"),
                    ("entry_line", "1"), ("entry_lot", "L-LATE"), ("entry_received", "3"), ("entry_damaged", "0"),
                    ("entry_reason", ""),
                ], jar: &receiver)
            #expect(received.status.code / 100 == 3, "\(received.status) \(received.text)")
            #expect(try await D.onHand(app, "YJ-TCMH", drug) >= 7)
            let after = try await ConsoleTests.get(app, "/console/stock/transfers/\(id)?done=transfer_received", jar: &receiver)
            #expect(after.text.contains("已接收入库") && after.text.contains("外包装破损"))
            #expect(try await D.audits(app, "stock_transfer") == 3)
        }
    }
}
