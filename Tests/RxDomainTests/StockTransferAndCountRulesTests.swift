import Foundation
import Testing

@testable import RxDomain

@Suite("Stock transfers between members and stock counts (issue 21)")
struct StockTransferAndCountRulesTests: RuleRefusals {
    @Test("a transfer moves draft → dispatched → received, or draft → cancelled; any other move is 409 naming the state")
    func transferStates() throws {
        #expect(try StockTransferRules.next(.draft, .dispatch) == .dispatched)
        #expect(try StockTransferRules.next(.dispatched, .receive) == .received)
        #expect(try StockTransferRules.next(.draft, .cancel) == .cancelled)
        for status in StockTransferStatus.allCases {
            for action in StockTransferAction.allCases {
                let allowed = [(.draft, .dispatch), (.dispatched, .receive), (.draft, .cancel)].contains {
                    $0 == (status, action)
                }
                let refused = refusal { _ = try StockTransferRules.next(status, action) }
                #expect((refused == nil) == allowed, "\(status) \(action)")
                if let refused {
                    #expect(refused == .conflict("a transfer that is \(status.rawValue) cannot be \(action.pastTense)"))
                }
            }
        }
        #expect(isConflict { _ = try StockTransferRules.next(.dispatched, .cancel) })
    }

    @Test("in transit while dispatched: visible, and no one's to issue")
    func inTransit() {
        #expect(StockTransferRules.inTransit(status: .dispatched, dispatched: Quantity(7)) == Quantity(7))
        for status in [StockTransferStatus.draft, .received, .cancelled] {
            #expect(StockTransferRules.inTransit(status: status, dispatched: Quantity(7)) == .zero)
        }
    }

    @Test("a transfer goes to another member, of positive quantities of drugs in the receiver's catalogue")
    func transferDraft() {
        let good = StockTransferRules.LineRequest(drugCode: "XA01", quantity: Quantity(5), inReceiverCatalogue: true)
        #expect(
            field {
                try StockTransferRules.checkDraft(
                    senderInstitutionID: 1, receiverInstitutionID: 2, receiverCode: "M2", lines: [good])
            } == nil)
        let outside = StockTransferRules.LineRequest(drugCode: "XB02", quantity: Quantity(5), inReceiverCatalogue: false)
        let zero = StockTransferRules.LineRequest(drugCode: "XA01", quantity: .zero, inReceiverCatalogue: true)
        #expect(
            fields {
                try StockTransferRules.checkDraft(
                    senderInstitutionID: 1, receiverInstitutionID: 2, receiverCode: "M2", lines: [good, outside, zero])
            } == ["lines[1].drugCode", "lines[2].quantity"])
        let refused = refusal {
            try StockTransferRules.checkDraft(
                senderInstitutionID: 1, receiverInstitutionID: 2, receiverCode: "M2", lines: [outside])
        }
        #expect(refused?.fieldErrors.first?.reason == "XB02 is not in M2's catalogue in effect")
        #expect(
            fields {
                try StockTransferRules.checkDraft(senderInstitutionID: 1, receiverInstitutionID: 1, receiverCode: "M1", lines: [])
            } == ["receiverInstitutionCode", "lines"])
    }

    @Test("a receipt records shortfall and damage with a reason, never more than dispatched")
    func receipt() throws {
        typealias R = StockTransferRules.LineReceipt
        #expect(try StockTransferRules.discrepancies([R(dispatched: Quantity(10), received: Quantity(10))]).isEmpty)
        let found = try StockTransferRules.discrepancies([
            R(dispatched: Quantity(10), received: Quantity(7), damaged: Quantity(1), reason: "one box crushed, two missing"),
            R(dispatched: Quantity(4), received: Quantity(4)),
        ])
        #expect(
            found == [
                .init(line: 0, kind: .shortfall, quantity: Quantity(2), reason: "one box crushed, two missing"),
                .init(line: 0, kind: .damage, quantity: Quantity(1), reason: "one box crushed, two missing"),
            ])
        #expect(
            field { _ = try StockTransferRules.discrepancies([R(dispatched: Quantity(10), received: Quantity(9))]) }
                == "lines[0].reason")
        #expect(
            field {
                _ = try StockTransferRules.discrepancies([
                    R(dispatched: Quantity(10), received: Quantity(10), damaged: Quantity(1), reason: " ")
                ])
            } == "lines[0].receivedQuantity")
        #expect(
            field {
                _ = try StockTransferRules.discrepancies([
                    R(dispatched: Quantity(10), received: Quantity(10)),
                    R(dispatched: Quantity(3), received: Quantity(0), damaged: Quantity(3), reason: nil),
                ])
            } == "lines[1].reason")
        #expect(
            field { _ = try StockTransferRules.discrepancies([R(dispatched: Quantity(3), received: Quantity(-1), reason: "x")]) }
                == "lines[0].receivedQuantity")
        #expect(
            field {
                _ = try StockTransferRules.discrepancies([
                    R(dispatched: Quantity(3), received: Quantity(1), damaged: Quantity(-1), reason: "x")
                ])
            } == "lines[0].damagedQuantity")
    }

    let lotA = StockLot(drugCode: "XA01", lotNumber: "A", expiry: BusinessDate("2027-06-01")!)
    let lotB = StockLot(drugCode: "XA01", lotNumber: "B", expiry: BusinessDate("2027-09-01")!)
    let lotC = StockLot(drugCode: "XB02", lotNumber: "C", expiry: BusinessDate("2027-09-01")!)

    @Test("count differences post as 103 surplus and 104 loss; lines that agree post nothing")
    func countDifferences() throws {
        let differences = try StockCountRules.approve(
            status: .open, counterToken: "pharmacist-1", approverToken: "pharmacist-2",
            lines: [
                .init(lot: lotA, expected: Quantity(10), counted: Quantity(12)),
                .init(lot: lotB, expected: Quantity(10), counted: Quantity(Decimal(string: "7.5")!)),
                .init(lot: lotC, expected: Quantity(4), counted: Quantity(4)),
            ])
        #expect(
            differences == [
                .init(lot: lotA, reason: .countSurplus, quantity: Quantity(2)),
                .init(lot: lotB, reason: .countLoss, quantity: Quantity(Decimal(string: "2.5")!)),
            ])
        #expect(differences.map(\.reason.rawValue) == ["103", "104"])
    }

    @Test("a count is approved by a second person (403), once (409), with every line counted (422); cancelled only while open")
    func countApproval() {
        let lines: [StockCountRules.Line] = [.init(lot: lotA, expected: Quantity(10), counted: Quantity(10))]
        guard
            case .forbidden = refusal({
                _ = try StockCountRules.approve(status: .open, counterToken: "p1", approverToken: "p1", lines: lines)
            })
        else { Issue.record("the counter approving is not a 403"); return }
        for status in [StockCountStatus.approved, .cancelled] {
            #expect(
                isConflict {
                    _ = try StockCountRules.approve(status: status, counterToken: "p1", approverToken: "p2", lines: lines)
                })
            #expect(isConflict { try StockCountRules.checkEntry(status: status) })
            #expect(isConflict { try StockCountRules.checkCancel(status: status) })
        }
        #expect(
            fields {
                _ = try StockCountRules.approve(
                    status: .open, counterToken: "p1", approverToken: "p2",
                    lines: lines + [.init(lot: lotB, expected: Quantity(3), counted: nil)])
            } == ["lines[1].countedQuantity"])
        #expect(field { try StockCountRules.checkCounted(Quantity(-1), field: "countedQuantity") } == "countedQuantity")
        #expect(field { try StockCountRules.checkCounted(.zero, field: "countedQuantity") } == nil)
        #expect(field { try StockCountRules.checkEntry(status: .open) } == nil)
    }
}
