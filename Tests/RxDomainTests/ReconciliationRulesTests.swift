import Foundation
import Testing
@testable import RxDomain

@Suite("Invoice reconciliation rules")
struct ReconciliationRulesTests {
    func line(_ n: Int = 2, quantity: String = "10", price: String = "2.5000", amount: String = "25.00") -> InvoiceFileLine {
        InvoiceFileLine(lineNumber: n, distributorCode: "DST-A", invoiceNumber: "INV-1", invoiceDate: BusinessDate("2026-06-15")!,
                        manufacturerInvoiceNumber: "M-1", manufacturerCode: "MFR-001", institutionCode: "YJ-TCMH",
                        drugCode: "D1", lotNumber: "L1", quantity: Decimal(string: quantity)!, unitPrice: Money(price)!,
                        amount: Money(amount)!)
    }

    let found = InvoiceLineFacts(orderID: 7, orderLineNo: 1, unifiedPrice: Money("2.5")!, receivedQuantity: 10)

    func classes(_ d: [ReconciliationDiscrepancy]) -> [ReconciliationClassification] { d.map(\.classification) }

    @Test("a line that agrees with its order, receipt, catalogue and chain is matched")
    func matched() {
        #expect(ReconciliationRules.classify(line(), found).isEmpty)
        let summary = ReconciliationSummary(lines: 1, discrepancies: [])
        #expect(summary.count(.matched) == 1)
        #expect(ReconciliationRules.exitStatus(summary) == 0)
    }

    @Test("price differs: (invoiced − unified) × quantity; quantity differs from what was received")
    func priceAndQuantity() {
        let d = ReconciliationRules.classify(line(quantity: "10", price: "2.8000", amount: "28.00"), found)
        #expect(classes(d) == [.priceDiffers])
        #expect(d[0].moneyAtStake == Money("3.00")!)
        let q = ReconciliationRules.classify(line(quantity: "12", amount: "30.00"), found)
        #expect(classes(q) == [.quantityDiffers])
        #expect(q[0].moneyAtStake.amount == 5)
    }

    @Test("amount must be quantity × unit price to the fen, rounded half-up")
    func amountToTheFen() {
        #expect(ReconciliationRules.expectedAmount(quantity: 3, unitPrice: Money("0.3350")!) == Money("1.01")!)
        let f = InvoiceLineFacts(orderID: 1, orderLineNo: 1, unifiedPrice: Money("0.335")!, receivedQuantity: 3)
        #expect(ReconciliationRules.classify(line(quantity: "3", price: "0.3350", amount: "1.01"), f).isEmpty)
        let d = ReconciliationRules.classify(line(quantity: "3", price: "0.3350", amount: "1.00"), f)
        #expect(classes(d) == [.amountMismatch])
        #expect(d[0].moneyAtStake.amount == Decimal(string: "-0.01")!)
    }

    @Test("a duplicate is only a duplicate; no order skips price and quantity; catalogue, chain and amount always count")
    func precedence() {
        let dup = ReconciliationRules.classify(line(amount: "1.00"), InvoiceLineFacts(duplicateOfLine: 2, inMemberCatalogue: false))
        #expect(classes(dup) == [.duplicateLine])
        #expect(dup[0].detail["duplicateOfLine"] == "2")
        let none = ReconciliationRules.classify(line(), InvoiceLineFacts(inMemberCatalogue: false, chainProblem: "missing manufacturer invoice number"))
        #expect(classes(none) == [.noMatchingOrderOrReceipt, .outsideMemberCatalogue, .twoInvoiceChain])
        #expect(none.allSatisfy { $0.moneyAtStake == Money("25.00")! })
    }

    @Test("exit status and the summary's counts and money at stake")
    func summaryAndStatus() {
        let d = ReconciliationRules.classify(line(3, quantity: "10", price: "2.8000", amount: "28.00"), found)
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
        let report = ReconciliationReport(runID: 9, fileName: "inv.csv", alreadyReconciled: false,
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
        let again = ReconciliationReport(runID: 9, fileName: "inv.csv", alreadyReconciled: true, summary: report.summary, discrepancies: d)
        #expect(again.render(.table).contains("already reconciled as run 9"))
    }
}
