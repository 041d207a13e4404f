import Foundation
import Testing

@testable import RxDomain

@Suite("Order rules: lines, idempotent retries, orderable drugs, movers and deliveries (OrderRules)")
struct OrderRulesTests: RuleRefusals {
    let today = BusinessDate(year: 2027, month: 3, day: 1)

    @Test("an order has a line, each of a positive quantity; the first bad line is named")
    func lines() {
        #expect(field { try OrderRules.checkLines([OrderLineRequest(drugCode: "A", quantity: 1)]) } == nil)
        #expect(field { try OrderRules.checkLines([]) } == "lines")
        #expect(
            field {
                try OrderRules.checkLines([
                    .init(drugCode: "A", quantity: 1), .init(drugCode: "B", quantity: 0), .init(drugCode: "C", quantity: -1),
                ])
            } == "lines[1].quantity")
    }

    @Test("a retry with the same body replays the order; another body is 422; a key not yet visible is 409")
    func idempotency() throws {
        let hash = Data([1, 2, 3])
        #expect(try OrderRules.replayedOrderID(.init(requestHash: hash, orderID: 42), requestHash: hash) == 42)
        #expect(
            field { _ = try OrderRules.replayedOrderID(.init(requestHash: Data([9]), orderID: 42), requestHash: hash) }
                == "Idempotency-Key")
        #expect(
            field { _ = try OrderRules.replayedOrderID(.init(requestHash: hash, orderID: nil), requestHash: hash) }
                == "Idempotency-Key")
        guard case .conflict = refusal({ _ = try OrderRules.replayedOrderID(nil, requestHash: hash) }) else {
            Issue.record("a key held by a concurrent request is 409")
            return
        }
    }

    @Test("every line is in the catalogue in effect and priced; every offending line is named at once")
    func orderable() throws {
        let a = OrderLineRequest(drugCode: "A", quantity: 2)
        let b = OrderLineRequest(drugCode: "B", quantity: 3)
        let priced = try OrderRules.pricedLines(
            [
                .init(line: a, inCatalogue: true, price: Money(Decimal(5))),
                .init(line: b, inCatalogue: true, price: Money(Decimal(7))),
            ],
            institutionCode: "M1", today: today)
        #expect(priced.map(\.line) == [a, b] && priced.map(\.price) == [Money(Decimal(5)), Money(Decimal(7))])
        let error = refusal {
            _ = try OrderRules.pricedLines(
                [.init(line: a, inCatalogue: false, price: nil), .init(line: b, inCatalogue: true, price: Money?.none)],
                institutionCode: "M1", today: today)
        }
        #expect(error?.fieldErrors.map(\.field) == ["lines[0].drugCode", "lines[1].drugCode"])
        #expect(error?.fieldErrors.first?.reason == "A is not in M1's catalogue in effect")
        #expect(error?.fieldErrors.last?.reason == "B has no unified price in effect on 2027-03-01")
    }

    @Test("a line added to a draft: in the catalogue first, then priced")
    func addedLine() throws {
        #expect(try OrderRules.addedLinePrice(7, drugCode: "A", inCatalogue: true, institutionCode: "M1", orderDate: today) == 7)
        let outside = refusal {
            _ = try OrderRules.addedLinePrice(7, drugCode: "A", inCatalogue: false, institutionCode: "M1", orderDate: today)
        }
        #expect(outside?.fieldErrors.first?.reason == "A is not in M1's catalogue in effect on 2027-03-01")
        let unpriced = refusal {
            _ = try OrderRules.addedLinePrice(
                Int?.none, drugCode: "A", inCatalogue: true, institutionCode: "M1", orderDate: today)
        }
        #expect(unpriced?.fieldErrors.first?.reason == "A has no unified price in effect on 2027-03-01")
    }

    @Test("listing and moving: a member's own orders; the member or the supply centre moves one")
    func access() {
        func token(_ role: Role, institution: Int64?, code: String?) -> Principal {
            Principal(
                tokenID: nil, role: role, consortiumID: 1, consortiumCode: "C", institutionID: institution,
                institutionCode: code, name: "t")
        }
        let member = token(.procurementOfficer, institution: 2, code: "M1")
        let other = token(.procurementOfficer, institution: 3, code: "M2")
        let supplyCentre = token(.procurementOfficer, institution: 1, code: "LEAD")
        let finance = token(.finance, institution: nil, code: nil)
        let read = Permission.readOrders(consortiumID: 1, institutionID: 2, leadInstitutionCode: "LEAD")
        let move = Permission.moveOrder(consortiumID: 1, institutionID: 2, leadInstitutionCode: "LEAD")
        #expect(refusal { try member.require(read, refusal: OrderRules.listingRefusal) } == nil)
        #expect(
            refusal { try other.require(read, refusal: OrderRules.listingRefusal) }
                == .forbidden("a member sees only its own orders"))
        #expect(refusal { try member.require(move, refusal: OrderRules.moverRefusal) } == nil)
        #expect(refusal { try supplyCentre.require(move, refusal: OrderRules.moverRefusal) } == nil)
        guard case .forbidden = refusal({ try finance.require(move, refusal: OrderRules.moverRefusal) }) else {
            Issue.record("neither member nor supply centre is 403")
            return
        }
    }

    @Test("a delivery: a positive quantity, a consolidated or partly received order, one of its lines, no rejected lot")
    func delivery() throws {
        #expect(field { try OrderRules.checkDeliveryQuantity(0) } == "quantity")
        #expect(field { try OrderRules.checkDeliveryQuantity(1) } == nil)
        #expect(
            try OrderRules.deliveryLineIndex(orderID: 5, status: .consolidated, emergency: false, lineNos: [1, 2], lineNo: 2)
                == 1)
        #expect(
            try OrderRules.deliveryLineIndex(orderID: 5, status: .partlyReceived, emergency: false, lineNos: [1, 2], lineNo: 1)
                == 0)
        for status in [OrderStatus.draft, .submitted, .received, .closed, .cancelled] {
            // The state is checked before the line.
            guard
                case .conflict = refusal({
                    _ = try OrderRules.deliveryLineIndex(orderID: 5, status: status, emergency: false, lineNos: [1], lineNo: 9)
                })
            else {
                Issue.record("\(status) receives no deliveries")
                continue
            }
        }
        #expect(
            field {
                _ = try OrderRules.deliveryLineIndex(orderID: 5, status: .consolidated, emergency: false, lineNos: [1], lineNo: 9)
            } == "lineNo"
        )
        #expect(field { try OrderRules.checkLotNotRejected(failures: nil, lotNumber: "L1", drugCode: "HQ") } == nil)
        #expect(
            field { try OrderRules.checkLotNotRejected(failures: ["moisture"], lotNumber: "L1", drugCode: "HQ") } == "lotNumber")
    }

    @Test("a delivery with problems needs an exception reason; without problems none is kept")
    func exceptions() throws {
        let problem = FieldError(field: "expiryDate", reason: "the lot expired on 2027-01-01")
        #expect(try OrderRules.acceptedException(problems: [], exceptionReason: "why") == nil)
        #expect(try OrderRules.acceptedException(problems: [problem], exceptionReason: " shortage ") == " shortage ")
        #expect(field { _ = try OrderRules.acceptedException(problems: [problem], exceptionReason: "  ") } == "expiryDate")
        #expect(field { _ = try OrderRules.acceptedException(problems: [problem], exceptionReason: nil) } == "expiryDate")
    }
}
