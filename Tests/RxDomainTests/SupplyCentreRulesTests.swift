import Foundation
import Testing

@testable import RxDomain

@Suite("Supply centre rules: distributors, consolidation, invoices and payment (SupplyCentreRules)")
struct SupplyCentreRulesTests: RuleRefusals {
    let distributor = SupplyCentreRules.Supplier(id: 1, isManufacturer: false, isDistributor: true, countsAsManufacturer: false)
    let manufacturer = SupplyCentreRules.Supplier(id: 2, isManufacturer: true, isDistributor: false, countsAsManufacturer: false)
    let salesCompany = SupplyCentreRules.Supplier(id: 3, isManufacturer: false, isDistributor: true, countsAsManufacturer: true)

    @Test("a supplier is found by its code, in the field that named it; contracts and invoices name a distributor")
    func suppliers() throws {
        #expect(try SupplyCentreRules.supplier(distributor, code: "D1", field: "distributorCode") == distributor)
        #expect(
            field { _ = try SupplyCentreRules.supplier(nil, code: "NOPE", field: "upstreamSupplierCode") }
                == "upstreamSupplierCode")
        #expect(field { try SupplyCentreRules.checkDistributor(distributor, code: "D1") } == nil)
        #expect(
            refusal { try SupplyCentreRules.checkDistributor(manufacturer, code: "M1") }
                == .invalid("distributorCode", "M1 is not a distributor"))
    }

    @Test("consolidation stops on every drug without a contracted distributor, naming each")
    func consolidation() {
        #expect(refusal { try SupplyCentreRules.checkConsolidation(uncontractedDrugs: []) } == nil)
        let error = refusal { try SupplyCentreRules.checkConsolidation(uncontractedDrugs: ["A", "B"]) }
        #expect(error?.fieldErrors.map(\.field) == ["A", "B"])
        #expect(error?.message == "no distributor is contracted for A, B")
    }

    @Test("an invoice has lines, a first invoice from a manufacturer (两票制), a member, and order lines of that member")
    func invoices() throws {
        #expect(field { try SupplyCentreRules.checkInvoiceLines(count: 0) } == "lines")
        #expect(field { try SupplyCentreRules.checkInvoiceLines(count: 1) } == nil)
        #expect(field { try SupplyCentreRules.checkTwoInvoiceRule(upstream: manufacturer, code: "M1") } == nil)
        #expect(field { try SupplyCentreRules.checkTwoInvoiceRule(upstream: salesCompany, code: "S1") } == nil)
        #expect(field { try SupplyCentreRules.checkTwoInvoiceRule(upstream: distributor, code: "D2") } == "upstreamSupplierCode")
        #expect(try SupplyCentreRules.invoicedMember(9, code: "M1") == 9)
        #expect(field { _ = try SupplyCentreRules.invoicedMember(nil, code: "M9") } == "institutionCode")
        let line = InvoicedOrderLine(
            orderID: 4, lineNo: 1, unifiedPrice: Money(Decimal(3)), suppliedByInvoicingDistributor: true,
            line: ReceiptBalance(received: 10, billed: 0))
        #expect(
            try SupplyCentreRules.invoicedOrderLine(line, index: 0, orderID: 4, orderLineNo: 1, institutionCode: "M1") == line)
        #expect(
            refusal {
                _ = try SupplyCentreRules.invoicedOrderLine(nil, index: 2, orderID: 4, orderLineNo: 7, institutionCode: "M1")
            }
                == .invalid("lines[2]", "order 4 line 7 is not an order line of M1"))
    }

    @Test("payment: only a payable invoice, never beyond what remains unpaid")
    func payment() {
        let total = Money(Decimal(100))
        #expect(
            refusal {
                try SupplyCentreRules.checkPayment(
                    invoiceNumber: "F1", payable: true, total: total, paidSoFar: Money(Decimal(40)), amount: Money(Decimal(60)))
            } == nil)
        guard
            case .unprocessable(_, let none) = refusal({
                try SupplyCentreRules.checkPayment(
                    invoiceNumber: "F1", payable: false, total: total, paidSoFar: Money(0), amount: Money(Decimal(1)))
            })
        else {
            Issue.record("an invoice with discrepancies is not paid")
            return
        }
        #expect(none.isEmpty)
        // Not payable is said before the amount.
        #expect(
            refusal {
                try SupplyCentreRules.checkPayment(
                    invoiceNumber: "F1", payable: false, total: total, paidSoFar: Money(0), amount: Money(Decimal(500)))
            }?.fieldErrors.isEmpty == true)
        #expect(
            field {
                try SupplyCentreRules.checkPayment(
                    invoiceNumber: "F1", payable: true, total: total, paidSoFar: Money(Decimal(40)), amount: Money(Decimal(61)))
            } == "amount")
    }
}
