import Foundation
import Testing

@testable import RxDomain

/// An emergency purchase (应急采购, issue 22) skips the usual channel: delivered by its own supplier once submitted,
/// left out of the consolidation, and billed by that supplier; every other order keeps its rules.
@Suite("Emergency purchase rules: received once submitted, left out of consolidation, billed by its supplier")
struct EmergencyPurchaseRulesTests: RuleRefusals {
    @Test("an emergency order receives deliveries once submitted; any other order once consolidated, as before")
    func receiving() throws {
        let receiving: [OrderStatus: (usual: Bool, emergency: Bool)] = [
            .draft: (false, false), .submitted: (false, true), .consolidated: (true, true),
            .partlyReceived: (true, true), .received: (false, false), .closed: (false, false), .cancelled: (false, false),
        ]
        #expect(Set(receiving.keys) == Set(OrderStatus.allCases))
        for (status, expected) in receiving {
            #expect(OrderRules.receivesDeliveries(status: status, emergency: false) == expected.usual, "\(status)")
            #expect(OrderRules.receivesDeliveries(status: status, emergency: true) == expected.emergency, "\(status)")
        }
        // A submitted emergency order takes a delivery on one of its lines; a submitted usual one is 409.
        #expect(
            try OrderRules.deliveryLineIndex(orderID: 7, status: .submitted, emergency: true, lineNos: [1, 2], lineNo: 2) == 1)
        #expect(
            refusal {
                _ = try OrderRules.deliveryLineIndex(orderID: 7, status: .submitted, emergency: false, lineNos: [1], lineNo: 1)
            } == .conflict("an order that is submitted receives no deliveries"))
        // A draft emergency order is not received yet (it is submitted first), and the line is still checked.
        #expect(
            isConflict {
                _ = try OrderRules.deliveryLineIndex(orderID: 7, status: .draft, emergency: true, lineNos: [1], lineNo: 1)
            })
        #expect(
            field {
                _ = try OrderRules.deliveryLineIndex(orderID: 7, status: .submitted, emergency: true, lineNos: [1], lineNo: 3)
            } == "lineNo")
    }

    @Test("the state moves of an emergency order are the usual ones: submit a draft, cancel while submitted")
    func moves() throws {
        #expect(try ProcurementRules.next(.draft, .submit) == .submitted)
        #expect(try ProcurementRules.next(.submitted, .cancel) == .cancelled)
        #expect(isConflict { _ = try ProcurementRules.next(.partlyReceived, .cancel) })
        // After its delivery it is partly received or received, as any order.
        #expect(ProcurementRules.statusAfterDelivery(lines: [(ordered: 5, received: 5)]) == .received)
        #expect(ProcurementRules.statusAfterDelivery(lines: [(ordered: 5, received: 2)]) == .partlyReceived)
    }

    @Test("a consolidation takes every submitted order but an emergency purchase, in the order found")
    func consolidation() {
        #expect(SupplyCentreRules.consolidable([]) == [])
        #expect(
            SupplyCentreRules.consolidable([
                .init(id: 3), .init(id: 4, emergencyShortageID: 11), .init(id: 5), .init(id: 6, emergencyShortageID: 12),
            ]) == [3, 5])
        #expect(SupplyCentreRules.consolidable([.init(id: 4, emergencyShortageID: 11)]) == [])
    }

    @Test("who supplied a line: the distributor it was consolidated to; an emergency purchase's line, its supplier")
    func supplier() {
        // The usual channel: only the distributor the line was consolidated to.
        #expect(InvoiceLineRules.supplies(invoicing: 1, consolidatedTo: 1, emergencySupplier: nil))
        #expect(!InvoiceLineRules.supplies(invoicing: 2, consolidatedTo: 1, emergencySupplier: nil))
        // Not consolidated and no emergency: no one supplied it yet.
        #expect(!InvoiceLineRules.supplies(invoicing: 1, consolidatedTo: nil, emergencySupplier: nil))
        // An emergency purchase, not consolidated: its own supplier, and no other distributor.
        #expect(InvoiceLineRules.supplies(invoicing: 9, consolidatedTo: nil, emergencySupplier: 9))
        #expect(!InvoiceLineRules.supplies(invoicing: 1, consolidatedTo: nil, emergencySupplier: 9))
        // One consolidated before emergency orders were left out: the consolidation decides, as `reconcile` does.
        #expect(InvoiceLineRules.supplies(invoicing: 1, consolidatedTo: 1, emergencySupplier: 9))
        #expect(!InvoiceLineRules.supplies(invoicing: 9, consolidatedTo: 1, emergencySupplier: 9))
    }

    @Test("an emergency supplier's invoice line is judged on price and quantity; another distributor's is wrong_distributor")
    func judged() {
        func line(supplied: Bool) -> InvoicedOrderLine {
            InvoicedOrderLine(
                orderID: 5, lineNo: 1, unifiedPrice: Money(Decimal(3)),
                suppliedByInvoicingDistributor: supplied, line: ReceiptBalance(received: 5, billed: 0),
                emergencyShortageID: 42)
        }
        let byEmergencySupplier = InvoiceLineRules.judge(
            quantity: 5, unitPrice: Money(Decimal(3)), amount: Money(Decimal(15)),
            against: line(
                supplied: InvoiceLineRules.supplies(invoicing: 9, consolidatedTo: nil, emergencySupplier: 9)))
        #expect(byEmergencySupplier.isEmpty)
        let byAnother = InvoiceLineRules.judge(
            quantity: 5, unitPrice: Money(Decimal(3)), amount: Money(Decimal(15)),
            against: line(
                supplied: InvoiceLineRules.supplies(invoicing: 1, consolidatedTo: nil, emergencySupplier: 9)))
        #expect(byAnother.map(\.discrepancy) == [.wrongDistributor])
    }
}
