import Foundation
import Testing

@testable import RxDomain

@Suite("Extended prescriptions: the state machine, issuing, deadlines and fulfilment (ExtendedPrescriptionRules)")
struct ExtendedPrescriptionRulesTests: RuleRefusals {
    typealias State = ExtendedPrescriptionState
    let today = BusinessDate(year: 2027, month: 3, day: 10)
    let lot = StockLot(drugCode: "X-AMLO", lotNumber: "BS2701", expiry: BusinessDate(year: 2028, month: 6, day: 30))
    var dispatch: ExtendedPrescriptionAction {
        .dispatch(stock: "supply centre warehouse", quantity: Quantity(56), lots: [.init(lot: lot, quantity: Quantity(56))])
    }

    func move(_ state: State, _ action: ExtendedPrescriptionAction) throws -> ExtendedPrescriptionMove {
        try ExtendedPrescriptionRules.move(from: state, action: action, id: 7)
    }

    @Test(
        "each move's stock: out of the dispensing stock at dispatch, into the collecting member at delivery, to the patient at collection, back when not collected or cancelled"
    )
    func stockLegs() {
        let other = StockLot(drugCode: "X-AMLO", lotNumber: "BS2702", expiry: BusinessDate(year: 2028, month: 9, day: 30))
        let lots = [StockRules.Allocation(lot: lot, quantity: Quantity(50)), .init(lot: other, quantity: Quantity(6))]
        let centre = ExtendedPrescriptionRules.StockPlace(institutionID: 1, locationID: 9)
        let clinic = ExtendedPrescriptionRules.StockPlace(institutionID: 2, locationID: nil)
        func legs(_ from: State, _ to: State) -> [String] {
            ExtendedPrescriptionRules.stockLegs(from: from, to: to, lots: lots, dispensing: centre, collecting: clinic)
                .map { "\($0.place.institutionID) \($0.reason.rawValue) \($0.lot.lotNumber) \($0.quantity)" }
        }
        #expect(legs(.approved, .dispatched) == ["1 102 BS2701 50", "1 102 BS2702 6"])
        #expect(
            ExtendedPrescriptionRules.stockLegs(
                from: .approved, to: .dispatched, lots: lots, dispensing: centre, collecting: clinic
            ).allSatisfy { $0.place == centre })
        #expect(legs(.dispatched, .delivered) == ["2 101 BS2701 50", "2 101 BS2702 6"])
        #expect(legs(.delivered, .collected) == ["2 dispensing BS2701 50", "2 dispensing BS2702 6"])
        let back = ["2 102 BS2701 50", "2 102 BS2702 6", "1 101 BS2701 50", "1 101 BS2702 6"]
        #expect(legs(.delivered, .notCollected) == back)
        #expect(legs(.delivered, .cancelled) == back)
        #expect(legs(.dispatched, .cancelled) == ["1 101 BS2701 50", "1 101 BS2702 6"])
        // A lot quarantined at the collecting member stays there; the others go back.
        let quarantined = ExtendedPrescriptionRules.quarantinedLots(
            lots, blocks: [LotKey("bs2702"): .recall], on: today)
        #expect(quarantined == [LotKey("BS2702")])
        #expect(
            ExtendedPrescriptionRules.stockLegs(
                from: .delivered, to: .cancelled, lots: lots, dispensing: centre, collecting: clinic,
                quarantined: quarantined
            ).map { "\($0.place.institutionID) \($0.reason.rawValue) \($0.lot.lotNumber)" } == [
                "2 102 BS2701", "1 101 BS2701",
            ])
        #expect(
            ExtendedPrescriptionRules.quarantinedLots(lots, blocks: [:], on: BusinessDate(year: 2028, month: 6, day: 30))
                == [LotKey("BS2701")])
        #expect(ExtendedPrescriptionRules.quarantinedLots(lots, blocks: [:], on: today).isEmpty)
        for (from, to) in [
            (State.requested, State.approved), (.requested, .refused), (.approved, .cancelled), (.requested, .cancelled),
        ] {
            #expect(legs(from, to).isEmpty, "\(from) → \(to)")
        }
    }

    @Test("late against the deadline stamped at approval; the report's window: 30 days by default, ordered, at most 366 days")
    func lateAndWindow() throws {
        let due = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(!ExtendedPrescriptionRules.isLate(due: due, deliveredAt: nil, now: due))
        #expect(ExtendedPrescriptionRules.isLate(due: due, deliveredAt: nil, now: due.addingTimeInterval(1)))
        #expect(
            !ExtendedPrescriptionRules.isLate(
                due: due, deliveredAt: due.addingTimeInterval(-60), now: due.addingTimeInterval(9_999)))
        #expect(ExtendedPrescriptionRules.isLate(due: due, deliveredAt: due.addingTimeInterval(60), now: due))
        #expect(!ExtendedPrescriptionRules.isLate(due: nil, deliveredAt: nil, now: due))
        let window = try ExtendedPrescriptionRules.reportWindow(from: nil, to: nil, today: today)
        #expect(window.from == today.adding(days: -29) && window.to == today)
        let year = try ExtendedPrescriptionRules.reportWindow(from: today.adding(days: -365), to: today, today: today)
        #expect(year.from == today.adding(days: -365))
        #expect(
            field { _ = try ExtendedPrescriptionRules.reportWindow(from: today, to: today.adding(days: -1), today: today) }
                == "from")
        #expect(
            field { _ = try ExtendedPrescriptionRules.reportWindow(from: today.adding(days: -366), to: today, today: today) }
                == "to")
    }

    @Test(
        "a patient's renewals: per drug the latest last day of its long and extended prescriptions, less the tolerance; past supply left out"
    )
    func renewals() {
        let supply = [
            ActiveSupply(drugCode: "X-AMLO", prescriptionID: 3, lastDay: today.adding(days: 20)),
            ActiveSupply(drugCode: "X-AMLO", prescriptionID: 9, lastDay: today.adding(days: 40), extended: true),
            ActiveSupply(drugCode: "X-METF", prescriptionID: 4, lastDay: today),
            ActiveSupply(drugCode: "X-OLD", prescriptionID: 1, lastDay: today.adding(days: -1)),
        ]
        let renewals = LongPrescriptionRules.renewals(supply, toleranceDays: 7, today: today)
        #expect(renewals.map(\.drugCode) == ["X-AMLO", "X-METF"])
        #expect(renewals[0].lastDay == today.adding(days: 40) && renewals[0].earliestRenewal == today.adding(days: 33))
        #expect(renewals[0].prescriptions.map(\.prescriptionID) == [3, 9])
        #expect(renewals[1].earliestRenewal == today.adding(days: -7))
    }

    @Test("every legal move: requested → approved or refused → dispatched → delivered → collected, not collected, cancelled")
    func legalMoves() throws {
        #expect(try move(.requested, .approve) == .init(to: .approved))
        #expect(try move(.requested, .refuse(reason: "剂量超出说明书")) == .init(to: .refused))
        #expect(try move(.approved, dispatch) == .init(to: .dispatched))
        #expect(try move(.dispatched, .deliver) == .init(to: .delivered))
        #expect(try move(.delivered, .collect) == .init(to: .collected))
        #expect(
            try move(.delivered, .markNotCollected(today: today, collectBy: today.adding(days: -1)))
                == .init(to: .notCollected, stockBack: true))
        #expect(try move(.requested, .cancel(reason: "患者住院")) == .init(to: .cancelled, stockBack: false))
        #expect(try move(.approved, .cancel(reason: "患者住院")) == .init(to: .cancelled, stockBack: false))
        #expect(try move(.dispatched, .cancel(reason: "患者住院")) == .init(to: .cancelled, stockBack: true))
        #expect(try move(.delivered, .cancel(reason: "患者住院")) == .init(to: .cancelled, stockBack: true))
    }

    @Test("every other move is a 409 naming the prescription's state")
    func illegalMoves() throws {
        let actions: [ExtendedPrescriptionAction] = [
            .approve, .refuse(reason: "r"), dispatch, .deliver, .collect,
            .markNotCollected(today: today, collectBy: today.adding(days: -1)), .cancel(reason: "r"),
        ]
        let legal: Set<String> = [
            "requested approved", "requested refused", "approved dispatched", "dispatched delivered", "delivered collected",
            "delivered marked not collected", "requested cancelled", "approved cancelled", "dispatched cancelled",
            "delivered cancelled",
        ]
        var illegal = 0
        for state in State.allCases {
            for action in actions where !legal.contains("\(state.rawValue) \(action.name)") {
                illegal += 1
                guard case .conflict(let message) = refusal({ _ = try move(state, action) }) else {
                    Issue.record("\(state) \(action.name) is not a 409")
                    continue
                }
                #expect(message == "extended prescription 7 is \(state.rawValue); it cannot be \(action.name)")
            }
        }
        #expect(illegal == State.allCases.count * actions.count - legal.count)
        // A collected, refused, cancelled or uncollected prescription is final: nothing moves it.
        #expect(State.allCases.filter(\.isFinal) == [.refused, .collected, .notCollected, .cancelled])
        #expect(isConflict { _ = try move(.collected, .cancel(reason: "too late")) })
    }

    @Test("a refused review and a cancellation say why (422 naming reason)")
    func reasons() {
        #expect(field { _ = try move(.requested, .refuse(reason: "  ")) } == "reason")
        #expect(field { _ = try move(.requested, .cancel(reason: "")) } == "reason")
        #expect(field { _ = try move(.delivered, .cancel(reason: "\n")) } == "reason")
    }

    @Test("a dispatch names its stock, and its lots make up the quantity prescribed")
    func dispatchLots() {
        let half = StockRules.Allocation(lot: lot, quantity: Quantity(28))
        #expect(field { _ = try move(.approved, .dispatch(stock: " ", quantity: Quantity(56), lots: [half, half])) } == "stock")
        #expect(field { _ = try move(.approved, .dispatch(stock: "WH", quantity: Quantity(56), lots: [half])) } == "lots")
        #expect(field { _ = try move(.approved, .dispatch(stock: "WH", quantity: Quantity(56), lots: [])) } == "lots")
        #expect(field { _ = try move(.approved, .dispatch(stock: "WH", quantity: Quantity(56), lots: [half, half])) } == nil)
    }

    @Test("not collected only after the collection deadline (injected date); the stock goes back")
    func notCollected() throws {
        let delivered = BusinessDate(year: 2027, month: 3, day: 1)
        let collectBy = ExtendedPrescriptionRules.collectBy(deliveredOn: delivered, days: 7)
        #expect(collectBy == BusinessDate(year: 2027, month: 3, day: 8))
        guard
            case .conflict(let early) = refusal({
                _ = try move(.delivered, .markNotCollected(today: collectBy, collectBy: collectBy))
            })
        else { Issue.record("marking on the last day is not a 409"); return }
        #expect(early == "extended prescription 7 may be collected until 2027-03-08")
        #expect(try move(.delivered, .markNotCollected(today: collectBy.adding(days: 1), collectBy: collectBy)).stockBack)
    }

    @Test("the delivery deadline is the setting's hours after approval; late when delivered after it or still undelivered")
    func deliveryDeadline() {
        let approved = Date(timeIntervalSince1970: 1_800_000_000)
        let hour: TimeInterval = 3_600
        #expect(ExtendedPrescriptionRules.deliveryDeadline(approvedAt: approved, hours: 48) == approved + 48 * hour)
        #expect(
            !ExtendedPrescriptionRules.isLate(
                approvedAt: approved, deliveredAt: approved + 48 * hour, now: approved + 99 * hour, hours: 48))
        #expect(
            ExtendedPrescriptionRules.isLate(
                approvedAt: approved, deliveredAt: approved + 49 * hour, now: approved + 49 * hour, hours: 48))
        #expect(!ExtendedPrescriptionRules.isLate(approvedAt: approved, deliveredAt: nil, now: approved + 47 * hour, hours: 48))
        #expect(ExtendedPrescriptionRules.isLate(approvedAt: approved, deliveredAt: nil, now: approved + 49 * hour, hours: 48))
        #expect(!ExtendedPrescriptionRules.isLate(approvedAt: approved, deliveredAt: nil, now: approved + 49 * hour, hours: 72))
    }

    @Test("fulfilment per member and per drug = collected ÷ (collected + not collected), nil when none; the median wait")
    func fulfilment() {
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        func outcome(_ member: String, _ drug: String, _ state: State, hours: Double? = nil) -> ExtendedOutcome {
            ExtendedOutcome(
                memberCode: member, drugCode: drug, state: state, issuedAt: t0, collectedAt: hours.map { t0 + $0 * 3_600 })
        }
        let outcomes = [
            outcome("CHC-A", "D1", .collected, hours: 10), outcome("CHC-A", "D1", .collected, hours: 30),
            outcome("CHC-A", "D2", .collected, hours: 20), outcome("CHC-A", "D2", .notCollected),
            outcome("CHC-B", "D1", .cancelled), outcome("CHC-B", "D1", .dispatched), outcome("CHC-B", "D2", .refused),
        ]
        let members = ExtendedPrescriptionRules.fulfilment(outcomes, by: \.memberCode)
        #expect(members.map(\.key) == ["CHC-A", "CHC-B"])
        #expect(members[0].collected == 3 && members[0].notCollected == 1 && members[0].rate == Decimal(string: "0.75"))
        // Compared as text: this one compared unequal to the literal 72000 as a Decimal, though both print 72000.
        #expect(members[0].medianSecondsToCollection?.description == "72000")
        #expect(members[1].rate == nil && members[1].medianSecondsToCollection == nil)
        let drugs = ExtendedPrescriptionRules.fulfilment(outcomes, by: \.drugCode)
        #expect(drugs.map(\.key) == ["D1", "D2"])
        #expect(drugs[0].rate == 1 && drugs[0].medianSecondsToCollection?.description == "72000")
        #expect(drugs[1].rate == Decimal(string: "0.5") && drugs[1].medianSecondsToCollection?.description == "72000")
        #expect(ExtendedPrescriptionRules.median([]) == nil)
        #expect(ExtendedPrescriptionRules.median([5, 1, 3])?.description == "3")
        #expect(ExtendedPrescriptionRules.median([4, 1, 2, 9])?.description == "3")
        #expect(ExtendedPrescriptionRules.median([1, 2])?.description == "1.5")
    }

    @Test("late entry: a business date up to the setting's days back, never the future (422 naming businessDate)")
    func lateEntry() throws {
        #expect(try LongPrescriptionRules.businessDate(nil, today: today, lateEntryDays: 3) == today)
        #expect(try LongPrescriptionRules.businessDate(today, today: today, lateEntryDays: 3) == today)
        #expect(
            try LongPrescriptionRules.businessDate(today.adding(days: -3), today: today, lateEntryDays: 3)
                == today.adding(days: -3))
        #expect(
            field { _ = try LongPrescriptionRules.businessDate(today.adding(days: -4), today: today, lateEntryDays: 3) }
                == "businessDate")
        #expect(
            field { _ = try LongPrescriptionRules.businessDate(today.adding(days: 1), today: today, lateEntryDays: 3) }
                == "businessDate")
        #expect(
            field { _ = try LongPrescriptionRules.businessDate(today.adding(days: -4), today: today, lateEntryDays: 5) }
                == nil)
    }

    @Test("27: the steps a page offers are the moves the state machine allows, state by state")
    func stepsOffered() {
        let offered = Dictionary(uniqueKeysWithValues: State.allCases.map { ($0, ExtendedPrescriptionRules.steps(from: $0)) })
        #expect(offered[.requested] == [.approve, .refuse, .cancel])
        #expect(offered[.approved] == [.dispatch, .cancel])
        #expect(offered[.dispatched] == [.deliver, .cancel])
        #expect(offered[.delivered] == [.collect, .markNotCollected, .cancel])
        for final in [State.collected, .refused, .notCollected, .cancelled] { #expect(offered[final] == [], "\(final)") }
    }
}
