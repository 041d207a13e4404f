import Foundation
import Testing

@testable import RxDomain

@Suite("Stock by lot: reasons, lot keys, issueability, FEFO, near expiry, days of stock (issue 21)")
struct StockRulesTests: RuleRefusals {
    let today = BusinessDate("2026-12-01")!

    func lot(_ number: String, _ expiry: String, _ quantity: Decimal, block: LotBlockKind? = nil) -> StockRules.LotOnHand {
        StockRules.LotOnHand(
            lot: StockLot(drugCode: "XA01", lotNumber: number, expiry: BusinessDate(expiry)!), quantity: Quantity(quantity),
            block: block)
    }

    func allocate(
        _ lots: [StockRules.LotOnHand], _ quantity: Decimal, minimum: Int = 30, lotNumber: String? = nil
    ) throws -> [String: Decimal] {
        let allocations = try StockRules.allocateFEFO(
            lots, quantity: Quantity(quantity), on: today, minimumShelfLifeDays: minimum, lotNumber: lotNumber)
        return Dictionary(uniqueKeysWithValues: allocations.map { ($0.lot.lotNumber, $0.quantity.value) })
    }

    func order(_ lots: [StockRules.LotOnHand], _ quantity: Decimal) throws -> [String] {
        try StockRules.allocateFEFO(lots, quantity: Quantity(quantity), on: today, minimumShelfLifeDays: 30)
            .map(\.lot.lotNumber)
    }

    @Test("the 3502 codes 101-111, dispensing, patient returns and opening balances, each with its direction")
    func reasons() throws {
        let ins: [StockMovementReason] = [
            .transferIn, .countSurplus, .otherIn, .purchaseReceipt, .donationIn, .patientReturn, .opening,
        ]
        for reason in StockMovementReason.allCases {
            #expect(reason.direction == (ins.contains(reason) ? .in : .out), "\(reason)")
        }
        #expect(StockMovementReason.allCases.filter(\.isNationalCode).map(\.rawValue) == (101...111).map(String.init))
        #expect(StockMovementReason(rawValue: "108") == .purchaseReceipt)
        #expect(StockMovementReason.dispensing.direction == .out && !StockMovementReason.dispensing.isNationalCode)
        #expect(StockMovementReason.opening.direction == .in && !StockMovementReason.opening.isNationalCode)
        #expect(try StockRules.signedQuantity(Quantity(5), reason: .dispensing) == -5)
        #expect(try StockRules.signedQuantity(Quantity(5), reason: .purchaseReceipt) == 5)
        #expect(field { _ = try StockRules.signedQuantity(.zero, reason: .otherIn) } == "quantity")
    }

    @Test("every seeded reason code is a StockMovementReason with the same direction and the same effect on consumption")
    func seededReasons() throws {
        let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("seeds/reference/stock_movement_reasons.csv")
        let rows = try String(contentsOf: seeds, encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count == StockMovementReason.allCases.count)
        for row in rows {
            let reason = StockMovementReason(rawValue: row[0])
            #expect(reason != nil, "\(row[0]) is seeded but not a reason")
            #expect(reason?.direction.rawValue == row[1], "\(row[0])")
            #expect(reason.map { String($0.consumptionSign) } == row[4], "\(row[0]): consumption")
        }
    }

    @Test("an ASCII lot number's key, taken without Foundation's Unicode paths, is the one those paths give")
    func asciiLotKeys() {
        let alphabet = Array(" abcxyzABCXYZ0189-_/.#\t")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let text = String((0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet.randomElement()! })
            let unicode = text.precomposedStringWithCompatibilityMapping
                .trimmingCharacters(in: CharacterSet(charactersIn: " ")).uppercased()
            #expect(LotKey.asciiKey(text) == unicode, "\(text.debugDescription)")
        }
        #expect(LotKey.asciiKey("ｌ1") == nil)
    }

    @Test("a lot's key is the same whatever its case, surrounding spaces or full-width form, like SQL's lot_key()")
    func lotKeys() {
        #expect(LotKey("bs261115") == LotKey("BS261115"))
        #expect(LotKey(" BS261115 ") == LotKey("BS261115"))
        #expect(LotKey("ＢＳ２６１１１５") == LotKey("BS261115"))
        #expect(LotKey("\u{3000}bs261115\u{3000}").value == "BS261115")
        #expect(LotKey("BS 261115") != LotKey("BS261115"))
        #expect(field { _ = try StockLot.parse(drugCode: "XA01", lotNumber: " \u{3000} ", expiry: today) } == "lotNumber")
        #expect(
            field {
                _ = try StockLot.parse(drugCode: "XA01", lotNumber: String(repeating: "A", count: 51), expiry: today)
            } == "lotNumber")
        #expect(StockLot(drugCode: "XA01", lotNumber: "a1", expiry: today.adding(days: 3)).daysLeft(on: today) == 3)
    }

    @Test("expired from the expiry date on, blocked while a block stands, short below the minimum shelf life")
    func issueability() {
        func state(_ days: Int, _ block: LotBlockKind? = nil) -> LotIssueability {
            StockRules.issueability(expiry: today.adding(days: days), block: block, on: today, minimumShelfLifeDays: 30)
        }
        #expect(state(0) == .expired && state(-1) == .expired)
        #expect(state(0, .recall) == .expired)
        #expect(state(1) == .shortShelfLife(daysLeft: 1))
        #expect(state(29) == .shortShelfLife(daysLeft: 29))
        #expect(state(30) == .issuable)
        #expect(state(400, .recall) == .blocked(.recall))
        #expect(state(400, .inspectionRejection) == .blocked(.inspectionRejection))
        #expect(state(0).isQuarantined && state(400, .recall).isQuarantined)
        #expect(!state(5).isQuarantined && !state(5).isIssuable)
        #expect(
            StockRules.issueability(expiry: today.adding(days: 1), block: nil, on: today, minimumShelfLifeDays: 0) == .issuable)
    }

    @Test("FEFO: first expiry first out, each lot emptied before the next")
    func fefoOrder() throws {
        let lots = [lot("C", "2027-09-01", 10), lot("A", "2027-03-01", 4), lot("B", "2027-06-01", 5)]
        #expect(try order(lots, 3) == ["A"])
        #expect(try allocate(lots, 3) == ["A": 3])
        #expect(try order(lots, 7) == ["A", "B"])
        #expect(try allocate(lots, 7) == ["A": 4, "B": 3])
        #expect(try allocate(lots, 19) == ["A": 4, "B": 5, "C": 10])
        #expect(try allocate([lot("A", "2027-03-01", Decimal(string: "2.5")!)], Decimal(string: "2.5")!) == ["A": 2.5])
    }

    @Test("FEFO: lots expiring the same day go by lot key, whatever order they come in")
    func fefoTies() throws {
        let lots = [lot("b2", "2027-03-01", 2), lot("B1", "2027-03-01", 2), lot("A9", "2027-05-01", 2)]
        #expect(try order(lots, 3) == ["B1", "b2"])
        #expect(try order(lots.reversed(), 3) == ["B1", "b2"])
    }

    @Test("FEFO never issues an expired, blocked or short-shelf-life lot, nor an empty one")
    func fefoSkips() throws {
        let lots = [
            lot("EXP", "2026-12-01", 100), lot("OLD", "2026-11-01", 100), lot("REC", "2027-01-01", 100, block: .recall),
            lot("REJ", "2027-01-01", 100, block: .inspectionRejection), lot("SHORT", "2026-12-30", 100),
            lot("EMPTY", "2027-01-15", 0), lot("OK", "2027-02-01", 5),
        ]
        #expect(try allocate(lots, 5) == ["OK": 5])
        // SHORT has 29 days left: issued only where the minimum shelf life does not apply.
        #expect(try order(lots, 5) == ["OK"])
        #expect(try allocate(lots, 105, minimum: 0) == ["SHORT": 100, "OK": 5])
        let refused = refusal { _ = try allocate(lots, 6) }
        #expect(refused?.fieldErrors.first?.field == "quantity")
        #expect(refused?.fieldErrors.first?.reason == "6 is more than the 5 that may be issued")
        #expect(field { _ = try allocate(lots, 0) } == "quantity")
        #expect(field { _ = try allocate([], 1) } == "quantity")
    }

    @Test("a named lot is issued from that lot only, by its key, and refused naming lotNumber when it may not be")
    func namedLot() throws {
        let lots = [
            lot("A", "2027-03-01", 4), lot("BS261115", "2027-06-01", 5), lot("REC", "2027-06-01", 9, block: .recall),
            lot("EXP", "2026-11-30", 9), lot("SHORT", "2026-12-10", 9), lot("REJ", "2027-06-01", 9, block: .inspectionRejection),
        ]
        #expect(try allocate(lots, 2, lotNumber: "ｂｓ２６１１１５ ") == ["BS261115": 2])
        #expect(field { _ = try allocate(lots, 6, lotNumber: "BS261115") } == "quantity")
        for named in ["REC", "EXP", "SHORT", "REJ", "NOPE"] {
            #expect(field { _ = try allocate(lots, 1, lotNumber: named) } == "lotNumber", "\(named)")
        }
        #expect(
            refusal { _ = try allocate(lots, 1, lotNumber: "EXP") }?.fieldErrors.first?.reason
                == "lot EXP expired on 2026-11-30 and is quarantined")
    }

    @Test("quarantined stock leaves only destroyed (105), returned (109) or by a count loss (104)")
    func quarantinedOutgoing() {
        let expired = StockLot(drugCode: "XA01", lotNumber: "EXP", expiry: today)
        for reason in StockMovementReason.allCases {
            let refused = field { try StockRules.checkOutgoing(reason: reason, state: .expired, lot: expired) }
            let allowed = reason.direction == .in || [.destruction, .returnToSupplier, .countLoss].contains(reason)
            #expect((refused == nil) == allowed, "\(reason)")
            if !allowed { #expect(refused == "reasonCode") }
        }
        #expect(
            field { try StockRules.checkOutgoing(reason: .dispensing, state: .blocked(.recall), lot: expired) } == "reasonCode")
        #expect(field { try StockRules.checkOutgoing(reason: .dispensing, state: .issuable, lot: expired) } == nil)
    }

    @Test("near expiry at the two thresholds, on their boundary dates, and expired on the expiry date")
    func nearExpiry() {
        func cls(_ days: Int) -> ExpiryClass {
            StockRules.expiryClass(expiry: today.adding(days: days), on: today, firstDays: 180, secondDays: 90)
        }
        #expect(cls(181) == .ok)
        #expect(cls(180) == .nearExpiryFirst)
        #expect(cls(91) == .nearExpiryFirst)
        #expect(cls(90) == .nearExpirySecond)
        #expect(cls(1) == .nearExpirySecond)
        #expect(cls(0) == .expired && cls(-30) == .expired)
        // The thresholds are settings; their order does not matter.
        #expect(
            StockRules.expiryClass(expiry: today.adding(days: 60), on: today, firstDays: 30, secondDays: 90) == .nearExpiryFirst)
    }

    @Test("days of stock = on hand ÷ average daily consumption over the window; none consumed, no figure")
    func daysOfStock() throws {
        #expect(try StockRules.daysOfStock(onHand: Quantity(100), consumed: Quantity(90), windowDays: 90) == 100)
        #expect(try StockRules.daysOfStock(onHand: Quantity(10), consumed: Quantity(30), windowDays: 90) == 30)
        #expect(
            try StockRules.daysOfStock(onHand: Quantity(10), consumed: Quantity(27), windowDays: 90) == Decimal(string: "33.3"))
        #expect(try StockRules.daysOfStock(onHand: .zero, consumed: Quantity(27), windowDays: 90) == 0)
        #expect(try StockRules.daysOfStock(onHand: Quantity(100), consumed: .zero, windowDays: 90) == nil)
        guard case .unavailable = refusal({ _ = try StockRules.daysOfStock(onHand: .zero, consumed: .zero, windowDays: 0) })
        else { Issue.record("a window of 0 days is not a 503"); return }
    }

    @Test("the consumption window is the whole days before today; only dispensing and patients' returns are consumption")
    func consumptionWindow() throws {
        let window = try StockRules.consumptionWindow(before: today, days: 90)
        #expect(window.from == BusinessDate("2026-09-02")! && window.to == BusinessDate("2026-11-30")!)
        #expect(window.from.days(to: window.to) + 1 == 90)
        guard case .unavailable = refusal({ _ = try StockRules.consumptionWindow(before: today, days: 0) }) else {
            Issue.record("a window of 0 days is not a 503"); return
        }
        #expect(StockMovementReason.allCases.filter { $0.consumptionSign != 0 } == [.dispensing, .patientReturn])
        #expect(StockMovementReason.dispensing.consumptionSign == 1 && StockMovementReason.patientReturn.consumptionSign == -1)
    }

    @Test("a member's days of stock count only issuable stock; the consortium's are every member's over every member's use")
    func daysOfStockOfAMember() throws {
        let window = try StockRules.consumptionWindow(before: today, days: 90)
        let lots = [
            lot("OK", "2027-12-31", 100), lot("SHORT", "2026-12-20", 20), lot("OLD", "2026-12-01", 5),
            lot("RECALLED", "2027-12-31", 7, block: .recall),
        ]
        let member = try StockRules.daysOfStock(
            institutionCode: "A", drugCode: "XA01", lots: lots, consumed: Quantity(36), window: window, on: today,
            minimumShelfLifeDays: 30)
        #expect(member.onHand == Quantity(132) && member.issuable == Quantity(100))
        #expect(member.averageDailyConsumption == Decimal(string: "0.4") && member.days == 250)
        let idle = try StockRules.daysOfStock(
            institutionCode: "B", drugCode: "XA01", lots: [lot("B1", "2027-06-30", 50)], consumed: .zero, window: window,
            on: today, minimumShelfLifeDays: 30)
        #expect(idle.days == nil && idle.averageDailyConsumption == 0)
        let third = try StockRules.daysOfStock(
            institutionCode: "C", drugCode: "XA01", lots: [], consumed: Quantity(1), window: window, on: today,
            minimumShelfLifeDays: 30)
        #expect(third.days == 0 && third.averageDailyConsumption == Decimal(string: "0.0111"))
        let whole = try StockRules.consortiumDaysOfStock(drugCode: "XA01", members: [member, idle, third], window: window)
        #expect(whole.institutionCode == nil && whole.issuable == Quantity(150) && whole.consumed == Quantity(37))
        #expect(whole.days == Decimal(string: "364.8"))
        // Fewest days first, then no figure, ties by drug.
        var a = member
        a.drugCode = "XB"
        let sorted = [idle, a, third, member].sorted(by: StockRules.fewestDaysFirst).map { ($0.institutionCode, $0.drugCode) }
        #expect(sorted.map(\.0) == ["C", "A", "A", "B"] && sorted.map(\.1) == ["XA01", "XA01", "XB", "XA01"])
    }

    @Test("a recall names the regulator's notice number; every block names why")
    func blocks() {
        #expect(fields { try StockRules.checkBlock(kind: .recall, noticeNumber: " ", reason: "") } == ["noticeNumber", "reason"])
        #expect(field { try StockRules.checkBlock(kind: .recall, noticeNumber: "国药监 2026-17", reason: "sterility") } == nil)
        #expect(field { try StockRules.checkBlock(kind: .inspectionRejection, noticeNumber: nil, reason: "moisture") } == nil)
    }
}

extension StockRulesTests {
    @Test("a delivery's receipt is in the drug's unit: packages × the package size, at the price per unit")
    func receiptInTheDrugsUnit() {
        let byPackage = StockRules.receipt(
            delivered: Quantity(4), orderedIn: .package, packageSize: 24, unitPrice: Money(Decimal(string: "12.5")!))
        #expect(byPackage.quantity == Quantity(96))
        #expect(byPackage.unitCost == Decimal(string: "0.5208")!)
        let byUnit = StockRules.receipt(
            delivered: Quantity(4), orderedIn: .unit, packageSize: 24, unitPrice: Money(Decimal(string: "0.52")!))
        #expect(byUnit.quantity == Quantity(4) && byUnit.unitCost == Decimal(string: "0.52")!)
    }
}
