import Foundation
import Testing

@testable import RxDomain

extension InvoiceLineFacts {
    /// A line whose lot was received on an order line the invoicing distributor supplied.
    static func onOrder(
        _ orderID: Int64, line: Int, unified: String, received: Decimal, billed: Decimal = 0,
        supplied: Bool = true
    ) -> InvoiceLineFacts {
        InvoiceLineFacts(
            orderLine: InvoicedOrderLine(
                orderID: orderID, lineNo: line, unifiedPrice: Money(unified)!, suppliedByInvoicingDistributor: supplied,
                line: ReceiptBalance(received: received, billed: billed), lot: ReceiptBalance(received: received, billed: billed))
        )
    }
}

@Suite("Invoice reconciliation rules")
struct ReconciliationRulesTests {
    func line(_ n: Int = 2, quantity: String = "10", price: String = "2.5000", amount: String = "25.00") -> InvoiceFileLine {
        InvoiceFileLine(
            lineNumber: n, distributorCode: "DST-A", invoiceNumber: "INV-1", invoiceDate: BusinessDate("2026-06-15")!,
            manufacturerInvoiceNumber: "M-1", manufacturerCode: "MFR-001", institutionCode: "YJ-TCMH",
            drugCode: "D1", lotNumber: "L1", quantity: Decimal(string: quantity)!, unitPrice: Money(price)!,
            amount: Money(amount)!)
    }

    let found = InvoiceLineFacts.onOrder(7, line: 1, unified: "2.5", received: 10)

    func classes(_ d: [ReconciliationDiscrepancy]) -> [ReconciliationClassification] { d.map(\.classification) }

    @Test("a line that agrees with its order, receipt, catalogue and chain is matched")
    func matched() {
        #expect(ReconciliationRules.classify(line(), found).isEmpty)
        let summary = ReconciliationSummary(lines: 1, discrepancies: [])
        #expect(summary.count(.matched) == 1)
        #expect(ReconciliationRules.exitStatus(summary) == 0)
    }

    @Test("price differs: (invoiced − unified) × quantity; billing beyond what was received, or less, is a discrepancy")
    func priceAndQuantity() {
        let d = ReconciliationRules.classify(line(quantity: "10", price: "2.8000", amount: "28.00"), found)
        #expect(classes(d) == [.priceDiffers])
        #expect(d[0].moneyAtStake == Money("3.00")!)
        let q = ReconciliationRules.classify(line(quantity: "12", amount: "30.00"), found)
        #expect(classes(q) == [.billedBeyondReceived])
        #expect(q[0].moneyAtStake.amount == 5)
        let less = ReconciliationRules.classify(line(quantity: "8", amount: "20.00"), found)
        #expect(classes(less) == [.quantityDiffers])
        #expect(less[0].moneyAtStake.amount == -5)
    }

    @Test("18.1: a line may bill at most what was received and not yet billed, of the lot and of the order line")
    func billedBeyondReceived() {
        // 10 received, 6 billed before: 4 may still be billed.
        let billed = InvoiceLineFacts.onOrder(7, line: 1, unified: "2.5", received: 10, billed: 6)
        #expect(ReconciliationRules.classify(line(quantity: "4", amount: "10.00"), billed).isEmpty)
        let beyond = ReconciliationRules.classify(line(quantity: "10"), billed)
        #expect(classes(beyond) == [.billedBeyondReceived])
        #expect(beyond[0].moneyAtStake == Money("15.00")!)
        #expect(beyond[0].detail["alreadyBilled"] == "6.000")
        // The lot is fully billed though the order line is not.
        let lot = InvoiceLineFacts(
            orderLine: InvoicedOrderLine(
                orderID: 7, lineNo: 1, unifiedPrice: Money("2.5")!, suppliedByInvoicingDistributor: true,
                line: ReceiptBalance(received: 20, billed: 10), lot: ReceiptBalance(received: 10, billed: 10)))
        #expect(classes(ReconciliationRules.classify(line(), lot)) == [.billedBeyondReceived])
        // Everything already billed: the same 10 units billed again are all at stake.
        let twice = ReconciliationRules.classify(line(), .onOrder(7, line: 1, unified: "2.5", received: 10, billed: 10))
        #expect(classes(twice) == [.billedBeyondReceived] && twice[0].moneyAtStake == Money("25.00")!)
    }

    @Test("18.2: a distributor that did not supply the line is the wrong distributor, not matched and not compared further")
    func wrongDistributor() {
        let d = ReconciliationRules.classify(
            line(quantity: "12", price: "9.0000", amount: "108.00"),
            .onOrder(7, line: 1, unified: "2.5", received: 10, supplied: false))
        #expect(classes(d) == [.wrongDistributor])
        #expect(d[0].moneyAtStake == Money("108.00")!)
    }

    @Test(
        "18.3: an invoice already recorded is reported as such, paid or not; every discrepancy names invoice, distributor and drug"
    )
    func alreadyRecorded() {
        let invoiced = ReconciliationRules.classify(
            line(), InvoiceLineFacts(recordedInvoice: RecordedInvoiceReference(id: 4, paid: false), orderLine: found.orderLine))
        #expect(classes(invoiced) == [.alreadyInvoiced])
        #expect(invoiced[0].detail["invoiceId"] == "4")
        let paid = ReconciliationRules.classify(
            line(), InvoiceLineFacts(recordedInvoice: RecordedInvoiceReference(id: 4, paid: true), orderLine: found.orderLine))
        #expect(classes(paid) == [.alreadyPaid] && paid[0].moneyAtStake == Money("25.00")!)
        let all =
            ReconciliationRules.classify(line(quantity: "12", amount: "1.00"), InvoiceLineFacts(inMemberCatalogue: false))
            + invoiced + paid
        for d in all {
            #expect(
                d.detail["invoiceNumber"] == "INV-1" && d.detail["distributorCode"] == "DST-A" && d.detail["drugCode"] == "D1")
        }
    }

    @Test("amount must be quantity × unit price to the fen, rounded half-up")
    func amountToTheFen() {
        #expect(ReconciliationRules.expectedAmount(quantity: 3, unitPrice: Money("0.3350")!) == Money("1.01")!)
        let f = InvoiceLineFacts.onOrder(1, line: 1, unified: "0.335", received: 3)
        #expect(ReconciliationRules.classify(line(quantity: "3", price: "0.3350", amount: "1.01"), f).isEmpty)
        let d = ReconciliationRules.classify(line(quantity: "3", price: "0.3350", amount: "1.00"), f)
        #expect(classes(d) == [.amountMismatch])
        #expect(d[0].moneyAtStake.amount == Decimal(string: "-0.01")!)
    }

    @Test("a duplicate is only a duplicate; no order skips price and quantity; catalogue, chain and amount always count")
    func precedence() {
        let dup = ReconciliationRules.classify(
            line(amount: "1.00"), InvoiceLineFacts(duplicateOfLine: 2, inMemberCatalogue: false))
        #expect(classes(dup) == [.duplicateLine])
        #expect(dup[0].detail["duplicateOfLine"] == "2")
        let none = ReconciliationRules.classify(
            line(), InvoiceLineFacts(inMemberCatalogue: false, chainProblem: "missing manufacturer invoice number"))
        #expect(classes(none) == [.noMatchingOrderOrReceipt, .outsideMemberCatalogue, .twoInvoiceChain])
        #expect(none.allSatisfy { $0.moneyAtStake == Money("25.00")! })
    }

    @Test("exit status and the summary's counts and money at stake")
    func summaryAndStatus() {
        let d =
            ReconciliationRules.classify(line(3, quantity: "10", price: "2.8000", amount: "28.00"), found)
            + ReconciliationRules.classify(line(4, amount: "1.00"), InvoiceLineFacts(duplicateOfLine: 2))
        let summary = ReconciliationSummary(lines: 3, discrepancies: d)
        #expect(summary.count(.matched) == 1 && summary.count(.priceDiffers) == 1 && summary.count(.duplicateLine) == 1)
        #expect(summary.moneyAtStake == Money("4.00")!)
        #expect(ReconciliationRules.exitStatus(summary) == 1)
        #expect(ReconciliationRules.badInput == 2)
        // A line with several discrepancies puts its amount at stake once.
        let twice = ReconciliationRules.classify(line(5), InvoiceLineFacts(inMemberCatalogue: false))
        #expect(twice.count == 2)
        #expect(ReconciliationSummary(lines: 1, discrepancies: twice).moneyAtStake == Money("25.00")!)
    }

    @Test("rendering: a table ending in the summary, csv rows, sorted json")
    func rendering() throws {
        let d = ReconciliationRules.classify(line(3, quantity: "10", price: "2.8000", amount: "28.00"), found)
        let report = ReconciliationReport(
            runID: 9, fileName: "inv.csv", alreadyReconciled: false,
            summary: ReconciliationSummary(lines: 2, discrepancies: d), discrepancies: d)
        let table = report.render(.table)
        #expect(table.hasPrefix("run 9: inv.csv, 2 lines"))
        let last = table.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("  money_at_stake") && last.hasSuffix("3.00"))
        #expect(table.contains("price_differs"))
        let csv = report.render(.csv).split(separator: "\n")
        #expect(csv[0] == "line_number,classification,money_at_stake,detail")
        #expect(csv[1].hasPrefix("3,price_differs,3.00,"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.render(.json).utf8)) as? [String: Any])
        #expect(json["runId"] as? Int == 9)
        #expect(json["moneyAtStake"] as? String == "3.00")
        #expect((json["counts"] as? [String: Any])?["matched"] as? Int == 1)
        #expect((json["discrepancies"] as? [[String: Any]])?.first?["classification"] as? String == "price_differs")
        let again = ReconciliationReport(
            runID: 9, fileName: "inv.csv", alreadyReconciled: true, summary: report.summary, discrepancies: d)
        #expect(again.render(.table).contains("already reconciled as run 9"))
    }
}
