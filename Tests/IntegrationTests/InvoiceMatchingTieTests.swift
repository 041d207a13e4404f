import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import RxUseCases
import Testing

/// Issue 25: the facts a reconciled line is judged by are found two ways, by the matching query
/// (`InvoiceReconciliationStore.matchingQuery`) and by `InvoiceFileMatching` over the records read once
/// (`InvoiceReconciliationStore.matchingRecords`). Until the streamed path replaces the query, the two must agree on
/// every line of a file with every discrepancy class.
@Suite("Invoice matching: the matching query and the streamed matching agree line by line")
struct InvoiceMatchingTieTests {
    typealias R = ReconciliationTests

    @Test("a file with every discrepancy class: the same facts for every line, both ways")
    func everyClassBothWays() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let d = try await R.received(app, count: 10, lots: (0..<10).map { "L\($0)" })
            try await R.ownListWithoutThird(app, d)
            let paidID = try await R.recordInvoice(app, "INV-A", d[8], admin: admin)
            try await app.database.transaction { c in
                try await c.sql("UPDATE deliveries SET received_on = received_on - 40")
            }
            let total = ReconciliationRules.expectedAmount(quantity: 10, unitPrice: d[8].price)
            let paid = try await app.call(
                .post, "\(R.base)/invoices/\(paidID)/payment", token: admin,
                json: #"{"paidOn": "\#(BusinessDate.today())", "amount": "\#(total.formatted(places: 2))", "reference": "ZF-1"}"#)
            #expect(paid.status == .created, "\(paid.text)")
            _ = try await R.recordInvoice(app, "INV-B", d[9], admin: admin)
            let text =
                R.header
                + R.line("INV-1", d[0], lot: "L0", quantity: 4)  // 2 quantity differs: 4 of 10
                + R.line("INV-1", d[1], lot: "L1", price: d[1].price + Money(1))  // 3 price differs
                + R.line("INV-2", d[3], lot: "ｌ３", quantity: 9)  // 4 a full-width lot number, 9 of 10
                + R.line("INV-2", d[0], lot: "NO-SUCH-LOT")  // 5 no order or receipt
                + R.line("INV-1", d[0], lot: "L0", quantity: 4)  // 6 duplicate of 2
                + R.line("INV-3", d[2], lot: "L2")  // 7 outside the member's list
                + R.line("INV-4", d[4], lot: "L4", manufacturer: "DST-CR-JL")  // 8 chain: plain distributor
                + R.line("INV-5", d[5], lot: "L5", manufacturerInvoice: "")  // 9 chain: no manufacturer invoice
                + R.line("INV-5", d[6], lot: "L6", manufacturer: "MFR-NOBODY")  // 10 chain: unknown manufacturer
                + R.line("INV-6", d[6], lot: "L6", amount: (d[6].price * 10).rounded(2) + Money(Decimal(string: "0.01")!))
                + R.line("INV-7", d[7], lot: "L7", manufacturer: "MFR-001-SALES")  // 12 counts as manufacturer
                + R.line("INV-8", d[1], lot: "L1").replacingOccurrences(of: "DST-SINOPHARM-JL,", with: "DST-CR-JL,")
                + R.line("INV-9", d[0], lot: "L0", quantity: 7)  // 14 beyond: 4 + 7 of 10
                + R.line("INV-A", d[8], lot: "L8")  // 15 recorded and paid
                + R.line("INV-B", d[9], lot: "L9")  // 16 recorded, not paid
                + R.line("INV-Z", d[9], lot: "L9", quantity: 3)  // 17 INV-B billed all 10 already
                + R.line("INV-S", d[0], lot: "L0").replacingOccurrences(of: ",YJ-TCMH,", with: ",SL-TCMH,")  // 18
                + R.line("INV-N", d[0], lot: "L0").replacingOccurrences(of: ",YJ-TCMH,", with: ",NOBODY,")  // 19
            let both = try await ReconcileInvoices(database: app.database).factsBothWays(
                data: Data(text.utf8), consortiumCode: "JLTCM", asOf: BusinessDate.today())
            #expect(both.map(\.line.lineNumber) == Array(2...19))
            for (line, database, streamed) in both {
                #expect(database == streamed, "line \(line.lineNumber): \(database) ≠ \(streamed)")
            }
            // Every class the file was made for is found (judged by the domain from the streamed facts).
            let found = Set(both.flatMap { ReconciliationRules.classify($0.line, $0.streamed).map(\.classification) })
            let expected: Set<ReconciliationClassification> = [
                .priceDiffers, .quantityDiffers, .billedBeyondReceived, .wrongDistributor, .noMatchingOrderOrReceipt,
                .duplicateLine, .alreadyInvoiced, .alreadyPaid, .outsideMemberCatalogue, .twoInvoiceChain, .amountMismatch,
            ]
            #expect(found == expected, "\(found.symmetricDifference(expected))")
        }
    }
}
