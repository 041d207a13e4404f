import Foundation
import Testing

@testable import RxDomain

/// An emergency purchase (应急采购, issue 22) skips the usual channel: delivered by its own supplier once submitted,
/// and left out of the consolidation; every other order keeps its rules.
@Suite("Emergency purchase rules: received once submitted, left out of consolidation")
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
}
