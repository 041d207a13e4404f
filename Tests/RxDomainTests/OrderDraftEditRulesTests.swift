import Foundation
import Testing

@testable import RxDomain

@Suite("Draft order corrections (issue 18.13)")
struct OrderDraftEditRulesTests {
    let lines: [(lineNo: Int, drugCode: String)] = [(1, "A"), (3, "B")]

    @Test("18.13: an order's lines change only while it is a draft; afterwards 409 names the state")
    func onlyDrafts() throws {
        try ProcurementRules.requireDraftForLineEdits(orderID: 7, status: .draft)
        for status in OrderStatus.allCases where status != .draft {
            #expect(throws: DomainError.conflict("order 7 is \(status.rawValue): its lines change only while it is a draft")) {
                try ProcurementRules.requireDraftForLineEdits(orderID: 7, status: status)
            }
        }
    }

    @Test("18.13: a correction needs a reason, trimmed, at most 1000 characters")
    func reasons() throws {
        #expect(try CorrectionReason.require("  typed 2 for 20 ") == "typed 2 for 20")
        for missing in [nil, "", "  \n"] as [String?] {
            #expect(throws: DomainError.self) { try CorrectionReason.require(missing) }
        }
        #expect(throws: DomainError.self) { try CorrectionReason.require(String(repeating: "因", count: 1001)) }
        #expect(try CorrectionReason.require(String(repeating: "因", count: 1000)).count == 1000)
    }

    @Test("18.13: edits are checked against the draft's lines; the last line is not removed; a drug is not added twice")
    func edits() throws {
        try ProcurementRules.checkDraftEdit(.add(drugCode: "C", quantity: 1), lines: lines)
        try ProcurementRules.checkDraftEdit(.changeQuantity(lineNo: 3, quantity: 2.5), lines: lines)
        try ProcurementRules.checkDraftEdit(.remove(lineNo: 1), lines: lines)
        #expect(throws: DomainError.self) { try ProcurementRules.checkDraftEdit(.add(drugCode: "B", quantity: 1), lines: lines) }
        #expect(throws: DomainError.self) { try ProcurementRules.checkDraftEdit(.add(drugCode: "C", quantity: 0), lines: lines) }
        #expect(throws: DomainError.self) {
            try ProcurementRules.checkDraftEdit(.changeQuantity(lineNo: 3, quantity: -1), lines: lines)
        }
        #expect(throws: DomainError.notFound("the order has no line 2")) {
            try ProcurementRules.checkDraftEdit(.changeQuantity(lineNo: 2, quantity: 1), lines: lines)
        }
        #expect(throws: DomainError.self) { try ProcurementRules.checkDraftEdit(.remove(lineNo: 1), lines: [(1, "A")]) }
        #expect(ProcurementRules.nextLineNo(after: [1, 3]) == 4)
        #expect(ProcurementRules.nextLineNo(after: []) == 1)
    }
}
