import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import RxUseCases
import Testing

/// Issue 25: a reconciled line is read and matched two ways: by the staging table, the crosswalk's `UPDATE` and the
/// matching query (`InvoiceReconciliationStore.matchingQuery`, the database path), and by `InvoiceLineReading` and
/// `InvoiceFileMatching` over the records read once (`InvoiceReconciliationStore.matchingRecords`, the streamed path
/// `reconcile invoices` takes). The two must agree, line and facts, on every line of a file with every discrepancy
/// class and of one read through the crosswalk.
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
            let both = try await Self.bothWays(app, text)
            #expect(both.map(\.0.lineNumber) == Array(2...19))
            // Every class the file was made for is found (judged by the domain from the streamed facts).
            let found = Set(both.flatMap { ReconciliationRules.classify($0.0, $0.1).map(\.classification) })
            let expected: Set<ReconciliationClassification> = [
                .priceDiffers, .quantityDiffers, .billedBeyondReceived, .wrongDistributor, .noMatchingOrderOrReceipt,
                .duplicateLine, .alreadyInvoiced, .alreadyPaid, .outsideMemberCatalogue, .twoInvoiceChain, .amountMismatch,
            ]
            #expect(found == expected, "\(found.symmetricDifference(expected))")
        }
    }

    @Test("a file read through the crosswalk, a product in packages and in tablets: the same lines and facts, both ways")
    func throughTheCrosswalk() async throws {
        typealias C = ReconcileThroughCrosswalkTests
        try await TestApp.run { app in
            let d = try await R.received(app, count: 4)
            let size = try await C.packageSize(app, d[1].code)
            let doublePack = try C.otherPackage(d[1].code)
            let shared = C.standardCode("8690000135791")
            try await C.load(
                app,
                [
                    "in_house,HIS-T0,,\(d[0].code),\(try await C.packageSize(app, d[0].code)),2026-01-01,,",
                    "insurance,\(doublePack),,\(d[1].code),\(2 * size),2026-01-01,,",
                    "standard,\(shared),,\(d[1].code),1,2026-01-01,,",
                ])
            let perTablet = Money(d[1].price.amount / Decimal(size)).rounded(4)
            var file =
                R.header
                + C.line("INV-1", "HIS-T0", lot: "L0", quantity: 10, price: d[0].price)
                + C.line("INV-2", d[1].code, lot: "L1", quantity: 2, price: d[1].price)
                + C.line("INV-2", doublePack, lot: "L1", quantity: 3, price: d[1].price * 2)
                + C.line("INV-4", "JL-YP-T3", lot: "L3", quantity: 10, price: d[3].price)
            // The last packages' tablets billed one a line: each a fraction of a package.
            for _ in 0..<(2 * size) { file += C.line("INV-5", shared, lot: "L1", quantity: 1, price: perTablet) }
            let both = try await Self.bothWays(app, file)
            #expect(both.count == 4 + 2 * size)
            #expect(both.contains { $0.0.fileDrugCode == shared && $0.0.quantity < 1 })
            #expect(both.contains { $0.1.unmappedCode != nil })
        }
    }

    /// The file read and matched both ways; each line's pair must be equal. The streamed line and facts.
    static func bothWays(_ app: TestApp, _ text: String) async throws -> [(InvoiceFileLine, InvoiceLineFacts)] {
        let both = try await ReconcileInvoices(database: app.database).readBothWays(
            data: Data(text.utf8), consortiumCode: "JLTCM", asOf: BusinessDate.today())
        for (database, streamed) in both {
            #expect(database.0 == streamed.0, "line \(database.0.lineNumber): \(database.0) ≠ \(streamed.0)")
            #expect(database.1 == streamed.1, "line \(database.0.lineNumber): \(database.1) ≠ \(streamed.1)")
        }
        return both.map(\.streamed)
    }
}
