import Foundation
import Testing

@testable import RxDomain

@Suite("Stock documents: a transfer's dispatch, a count's entries and approval (issue 21)")
struct StockDocumentRulesTests: RuleRefusals {
    static let today = BusinessDate("2026-12-02")!

    static func lot(_ drug: String, _ number: String, days: Int, _ quantity: Decimal, block: LotBlockKind? = nil)
        -> StockRules.LotOnHand
    {
        .init(
            lot: StockLot(drugCode: drug, lotNumber: number, expiry: today.adding(days: days)), quantity: Quantity(quantity),
            block: block)
    }

    @Test("a dispatch takes first expiry first out per line, and lines of one drug share its lots")
    func dispatchFEFO() throws {
        let lots = [Self.lot("A", "L2", days: 400, 10), Self.lot("A", "L1", days: 200, 4)]
        let taken = try StockDocumentRules.allocateDispatch(
            [
                .init(drugCode: "A", quantity: Quantity(6), lotNumber: nil, lots: lots),
                .init(drugCode: "A", quantity: Quantity(5), lotNumber: nil, lots: lots),
            ], on: Self.today, minimumShelfLifeDays: 30)
        #expect(taken[0].map(\.lot.lotNumber) == ["L1", "L2"] && taken[0].map(\.quantity) == [Quantity(4), Quantity(2)])
        // The second line gets what the first left of L2, not L1 again.
        #expect(taken[1].map(\.lot.lotNumber) == ["L2"] && taken[1].map(\.quantity) == [Quantity(5)])
    }

    @Test("expired, blocked and under-shelf-life lots never leave; more than may be sent names the line")
    func dispatchRefusals() {
        let lots = [
            Self.lot("A", "EXP", days: 0, 50), Self.lot("A", "REC", days: 300, 50, block: .recall),
            Self.lot("A", "SHORT", days: 10, 50), Self.lot("A", "OK", days: 300, 3),
        ]
        let refused = refusal {
            _ = try StockDocumentRules.allocateDispatch(
                [
                    .init(drugCode: "A", quantity: Quantity(3), lotNumber: nil, lots: lots),
                    .init(drugCode: "A", quantity: Quantity(1), lotNumber: nil, lots: lots),
                    .init(drugCode: "A", quantity: Quantity(1), lotNumber: "rec", lots: lots),
                ], on: Self.today, minimumShelfLifeDays: 30)
        }
        #expect(refused?.fieldErrors.map(\.field) == ["lines[1].quantity", "lines[2].lotNumber"])
        #expect(refused?.fieldErrors.first?.reason == "1 is more than the 0 that may be issued")
        #expect(refused?.fieldErrors.last?.reason == "lot REC is recalled")
    }

    @Test("a receipt names dispatched lots once; a shortfall needs its reason; a lot not reported arrived in full")
    func receipt() throws {
        let dispatched = [
            StockDocumentRules.DispatchedLot(lineNo: 1, lotNumber: "L1", dispatched: Quantity(5)),
            StockDocumentRules.DispatchedLot(lineNo: 1, lotNumber: "L2", dispatched: Quantity(3)),
        ]
        let received = try StockDocumentRules.receive(
            dispatched, entries: [.init(lineNo: 1, lotNumber: "l2", received: Quantity(2), reason: " 运输丢失 ")])
        #expect(received.map(\.lotNumber) == ["L1", "L2"])
        #expect(received.map(\.received) == [Quantity(5), Quantity(2)])
        #expect(received.map(\.reason) == [nil, "运输丢失"])
        #expect(
            fields {
                _ = try StockDocumentRules.receive(
                    dispatched,
                    entries: [
                        .init(lineNo: 1, lotNumber: "L1", received: Quantity(4)),
                        .init(lineNo: 2, lotNumber: "L1", received: Quantity(1)),
                        .init(lineNo: 1, lotNumber: "L2", received: Quantity(3)),
                        .init(lineNo: 1, lotNumber: "L2", received: Quantity(3)),
                    ])
            } == ["lines[0].reason", "lines[1].lotNumber", "lines[3].lotNumber"])
    }

    static let sheet = [
        StockCountRules.Line(
            lot: StockLot(drugCode: "A", lotNumber: "L1", expiry: today.adding(days: 100)), expected: Quantity(5), counted: nil),
        StockCountRules.Line(
            lot: StockLot(drugCode: "B", lotNumber: "L9", expiry: today.adding(days: 100)), expected: Quantity(2), counted: nil),
    ]

    @Test("counts are entered for lots of an open sheet, once each, never negative")
    func entries() throws {
        #expect(
            try StockDocumentRules.checkEntries(
                status: .open, sheet: Self.sheet, entries: [.init(drugCode: "B", lotNumber: " l9", counted: Quantity(0))])
                == [1])
        #expect(
            fields {
                _ = try StockDocumentRules.checkEntries(
                    status: .open, sheet: Self.sheet,
                    entries: [
                        .init(drugCode: "A", lotNumber: "L1", counted: Quantity(-1)),
                        .init(drugCode: "A", lotNumber: "L7", counted: Quantity(1)),
                        .init(drugCode: "A", lotNumber: "l1", counted: Quantity(1)),
                    ])
            } == ["lines[0].countedQuantity", "lines[1].lotNumber", "lines[2].lotNumber"])
        #expect(fields { _ = try StockDocumentRules.checkEntries(status: .open, sheet: Self.sheet, entries: []) } == ["lines"])
        #expect(
            isConflict {
                _ = try StockDocumentRules.checkEntries(
                    status: .approved, sheet: Self.sheet, entries: [.init(drugCode: "A", lotNumber: "L1", counted: Quantity(1))])
            })
    }

    @Test("approval by a second person, neither the opener nor the counter; differences are 103 and 104")
    func approval() throws {
        var counted = Self.sheet
        counted[0].counted = Quantity(7)
        counted[1].counted = Quantity(1)
        #expect(
            refusal {
                _ = try StockDocumentRules.approveCount(
                    status: .open, openerToken: "1", counterToken: "2", approverToken: "1", lines: counted)
            } == .forbidden("a count is approved by a second person, not by the one who opened it"))
        #expect(
            refusal {
                _ = try StockDocumentRules.approveCount(
                    status: .open, openerToken: "1", counterToken: "2", approverToken: "2", lines: counted)
            } == .forbidden("a count is approved by a second person, not by the one who counted it"))
        #expect(
            fields {
                _ = try StockDocumentRules.approveCount(
                    status: .open, openerToken: "1", counterToken: "nobody", approverToken: "3", lines: [])
            } == ["lines"])
        let differences = try StockDocumentRules.approveCount(
            status: .open, openerToken: "1", counterToken: "2", approverToken: "3", lines: counted)
        #expect(differences.map(\.reason) == [.countSurplus, .countLoss])
        #expect(differences.map(\.quantity) == [Quantity(2), Quantity(1)])
        #expect(
            isConflict {
                _ = try StockDocumentRules.approveCount(
                    status: .approved, openerToken: "1", counterToken: "2", approverToken: "3", lines: counted)
            })
    }
}
