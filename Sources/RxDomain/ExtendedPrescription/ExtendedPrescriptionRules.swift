import Foundation

/// An extended prescription as the supply-on-hand rules see it: who holds the drug, from when and for how long.
package struct ExtendedSupply: Sendable, Equatable {
    package var prescriptionID: Int64
    package var drugCode: String
    /// The business date it was issued (a late entry's own date).
    package var issuedOn: BusinessDate
    package var days: Int
    package var state: ExtendedPrescriptionState
    /// A chronic-disease drug, checked as a long prescription.
    package var chronic: Bool

    package init(
        prescriptionID: Int64, drugCode: String, issuedOn: BusinessDate, days: Int, state: ExtendedPrescriptionState,
        chronic: Bool
    ) {
        self.prescriptionID = prescriptionID
        self.drugCode = drugCode
        self.issuedOn = issuedOn
        self.days = days
        self.state = state
        self.chronic = chronic
    }
}

/// One extended prescription's outcome, for the fulfilment figures.
package struct ExtendedOutcome: Sendable, Equatable {
    package var memberCode: String
    package var drugCode: String
    package var state: ExtendedPrescriptionState
    package var issuedAt: Date
    package var collectedAt: Date?

    package init(memberCode: String, drugCode: String, state: ExtendedPrescriptionState, issuedAt: Date, collectedAt: Date?) {
        self.memberCode = memberCode
        self.drugCode = drugCode
        self.state = state
        self.issuedAt = issuedAt
        self.collectedAt = collectedAt
    }
}

/// Fulfilment of one member or one drug: collected ÷ (collected + not collected), nil when neither happened; the
/// median time from issue to collection in seconds, nil when nothing was collected.
package struct ExtendedFulfilment: Sendable, Equatable {
    package var key: String
    package var collected: Int
    package var notCollected: Int
    package var rate: Decimal?
    package var medianSecondsToCollection: Decimal?
}

/// The rules of extended prescriptions with central distribution (延伸处方, 集中配送). Pure: the use case gathers
/// the facts (catalogues, stock, the long-prescription check, the settings) and writes what these decide.
package enum ExtendedPrescriptionRules {
    // MARK: The state machine

    /// The state `action` moves an extended prescription to; 409 naming the state when it does not allow the move,
    /// 422 naming `reason` when a refusal or a cancellation does not say why, 422 naming `lots` or `stock` when a
    /// dispatch does not name its stock or its lots do not make up the quantity.
    package static func move(
        from state: ExtendedPrescriptionState, action: ExtendedPrescriptionAction, id: Int64
    ) throws(DomainError) -> ExtendedPrescriptionMove {
        func illegal() -> DomainError {
            .conflict("extended prescription \(id) is \(state.rawValue); it cannot be \(action.name)")
        }
        switch (state, action) {
        case (.requested, .approve):
            return ExtendedPrescriptionMove(to: .approved)
        case (.requested, .refuse(let reason)):
            try requireReason(reason, "a refused review says why")
            return ExtendedPrescriptionMove(to: .refused)
        case (.approved, .dispatch(let stock, let quantity, let lots)):
            try checkDispatch(stock: stock, quantity: quantity, lots: lots)
            return ExtendedPrescriptionMove(to: .dispatched)
        case (.dispatched, .deliver):
            return ExtendedPrescriptionMove(to: .delivered)
        case (.delivered, .collect):
            return ExtendedPrescriptionMove(to: .collected)
        case (.delivered, .markNotCollected(let today, let collectBy)):
            guard today > collectBy else {
                throw .conflict("extended prescription \(id) may be collected until \(collectBy)")
            }
            return ExtendedPrescriptionMove(to: .notCollected, stockBack: true)
        case (.requested, .cancel(let reason)), (.approved, .cancel(let reason)), (.dispatched, .cancel(let reason)),
            (.delivered, .cancel(let reason)):
            try requireReason(reason, "a cancellation says why")
            return ExtendedPrescriptionMove(to: .cancelled, stockBack: state.holdsDispatchedStock)
        default:
            throw illegal()
        }
    }

    /// A step a person may take on an extended prescription, as a page offers it.
    package enum Step: String, Sendable, CaseIterable {
        case approve, refuse, dispatch, deliver, collect, markNotCollected = "mark_not_collected", cancel
    }

    /// The steps `move` allows from `state`, asked of `move` itself with stand-in arguments (a reason, one lot of the
    /// whole quantity, a collection deadline passed), so a page never offers what the state machine refuses.
    package static func steps(from state: ExtendedPrescriptionState) -> [Step] {
        let day = BusinessDate("2000-01-02")!
        let one = Quantity(1)
        let standIn = "stand-in"
        func action(_ step: Step) -> ExtendedPrescriptionAction {
            switch step {
            case .approve: .approve
            case .refuse: .refuse(reason: standIn)
            case .dispatch:
                .dispatch(
                    stock: standIn, quantity: one,
                    lots: [.init(lot: StockLot(drugCode: standIn, lotNumber: standIn, expiry: day), quantity: one)])
            case .deliver: .deliver
            case .collect: .collect
            case .markNotCollected: .markNotCollected(today: day, collectBy: day.adding(days: -1))
            case .cancel: .cancel(reason: standIn)
            }
        }
        return Step.allCases.filter { (try? move(from: state, action: action($0), id: 0)) != nil }
    }

    /// A void of the e-prescription (作废, with the insurance revoke in the same step): the record's own rules
    /// (`EPrescriptionRecord.void`: once, with a reason), and the prescription must not be on its way: dispatched or
    /// delivered is 409 (cancel it, so its stock goes back, then void). A prescription not yet dispatched is
    /// cancelled with it (true); a final one keeps its state (false).
    package static func void(
        _ record: EPrescriptionRecord, state: ExtendedPrescriptionState, reason: String, id: Int64
    ) throws(DomainError) -> (record: EPrescriptionRecord, cancels: Bool) {
        if state.holdsDispatchedStock {
            throw .conflict("extended prescription \(id) is \(state.rawValue); cancel it so its stock goes back, then void it")
        }
        return (try record.void(reason: reason), !state.isFinal)
    }

    static func requireReason(_ reason: String, _ why: String) throws(DomainError) {
        if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw .invalid("reason", why) }
    }

    /// A dispatch names its stock and lots of the prescription's drug that make up exactly its quantity.
    static func checkDispatch(stock: String, quantity: Quantity, lots: [StockRules.Allocation]) throws(DomainError) {
        if stock.trimmingCharacters(in: .whitespaces).isEmpty {
            throw .invalid("stock", "a dispatch names the stock it leaves from")
        }
        let total = lots.reduce(Quantity.zero) { $0 + $1.quantity }
        guard !lots.isEmpty, lots.allSatisfy({ $0.quantity > .zero }), total == quantity else {
            throw .invalid("lots", "the lots dispatched come to \(total), not the \(quantity) prescribed")
        }
    }

    // MARK: Stock

    /// A member's stock: the member, and a location inside it (nil: its stock outside locations).
    package struct StockPlace: Sendable, Equatable {
        package var institutionID: Int64
        package var locationID: Int64?

        package init(institutionID: Int64, locationID: Int64?) {
            self.institutionID = institutionID
            self.locationID = locationID
        }
    }

    /// One movement a move posts: a lot into or out of a place, for a reason.
    package struct StockLeg: Sendable, Equatable {
        package var place: StockPlace
        package var reason: StockMovementReason
        package var lot: StockLot
        package var quantity: Quantity

        package init(place: StockPlace, reason: StockMovementReason, lot: StockLot, quantity: Quantity) {
            self.place = place
            self.reason = reason
            self.lot = lot
            self.quantity = quantity
        }
    }

    /// The movements a move from `state` to `to` posts, the prescription being their document, lot by lot as
    /// dispatched:
    /// - dispatched: out of the dispensing stock (调拨出库), in transit, available to neither member;
    /// - delivered: into the collecting member's stock (调拨入库), which answers for it until it is collected, a home
    ///   delivery too;
    /// - collected: out to the patient at the collecting member (发药: its consumption);
    /// - not collected, or cancelled once delivered: out of the collecting member and back into the dispensing stock,
    ///   except the lots in `quarantined` (`quarantinedLots`): they stay in the collecting member's quarantined stock,
    ///   destroyed (105) or returned to the supplier (109) there as any quarantined stock, and the prescription ends
    ///   all the same (nothing else may take them out, and a recalled package must not travel back to be issued);
    /// - cancelled while dispatched: back into the dispensing stock;
    /// - any other move posts nothing.
    package static func stockLegs(
        from state: ExtendedPrescriptionState, to: ExtendedPrescriptionState, lots: [StockRules.Allocation],
        dispensing: StockPlace, collecting: StockPlace, quarantined: Set<LotKey> = []
    ) -> [StockLeg] {
        func legs(_ place: StockPlace, _ reason: StockMovementReason, _ lots: [StockRules.Allocation]) -> [StockLeg] {
            lots.map { StockLeg(place: place, reason: reason, lot: $0.lot, quantity: $0.quantity) }
        }
        switch (state, to) {
        case (.approved, .dispatched): return legs(dispensing, .transferOut, lots)
        case (.dispatched, .delivered): return legs(collecting, .transferIn, lots)
        case (.delivered, .collected): return legs(collecting, .dispensing, lots)
        case (.delivered, .notCollected), (.delivered, .cancelled):
            let back = lots.filter { !quarantined.contains($0.lot.lotKey) }
            return legs(collecting, .transferOut, back) + legs(dispensing, .transferIn, back)
        case (.dispatched, .cancelled): return legs(dispensing, .transferIn, lots)
        default: return []
        }
    }

    /// The prescription's lots quarantined on `today` (expired, or under a standing recall or rejection: `blocks` by
    /// lot key), which a move back from the collecting member leaves where they are (`stockLegs`).
    package static func quarantinedLots(
        _ lots: [StockRules.Allocation], blocks: [LotKey: LotBlockKind], on today: BusinessDate
    ) -> Set<LotKey> {
        Set(
            lots.map(\.lot).filter {
                StockRules.issueability(expiry: $0.expiry, block: blocks[$0.lotKey], on: today, minimumShelfLifeDays: 0)
                    .isQuarantined
            }.map(\.lotKey))
    }

    // MARK: Issuing

    /// What the use case found about the drug at the issuing institution.
    package struct IssueFacts: Sendable, Equatable {
        /// In the consortium's catalogue in effect.
        package var inConsortiumCatalogue: Bool
        /// In the issuing institution's own list in effect.
        package var inOwnList: Bool
        /// What the issuing institution has on hand that may be issued (zero when none).
        package var onHandAtIssuer: Quantity
        /// A chronic-disease drug: the long-prescription check applies.
        package var chronic: Bool

        package init(inConsortiumCatalogue: Bool, inOwnList: Bool, onHandAtIssuer: Quantity, chronic: Bool) {
            self.inConsortiumCatalogue = inConsortiumCatalogue
            self.inOwnList = inOwnList
            self.onHandAtIssuer = onHandAtIssuer
            self.chronic = chronic
        }
    }

    /// Whether an extended prescription may be issued, and for how many days: a drug of the consortium's
    /// catalogue that the institution does not hold itself (outside its own list, or not enough in its stock). A
    /// chronic-disease drug passes the long-prescription check (`longCheck`, the existing check over the supply on
    /// hand of `supplyOnHand(long:extended:)`): supply still on hand is 409, a refusal 422, a shortened grant its days.
    package static func daysToIssue(
        _ item: LongPrescriptionRequest.Item, quantity: Quantity, facts: IssueFacts,
        longCheck: () throws(DomainError) -> LongPrescriptionCheck
    ) throws(DomainError) -> Int {
        guard quantity > .zero else { throw .invalid("quantity", "must be positive") }
        guard LongPrescriptionInput.days.contains(item.days) else {
            throw .invalid(
                "days",
                "must be from \(LongPrescriptionInput.days.lowerBound) to \(LongPrescriptionInput.days.upperBound)")
        }
        guard facts.inConsortiumCatalogue else {
            throw .invalid("drugCode", "\(item.drugCode) is not in the consortium's catalogue in effect")
        }
        if facts.inOwnList && facts.onHandAtIssuer >= quantity {
            throw .invalid(
                "drugCode", "\(item.drugCode) is in the institution's own list and stock; it is prescribed there")
        }
        guard facts.chronic else { return item.days }
        return try LongPrescriptionRules.daysToIssue(item, check: longCheck())
    }

    /// The parties of an extended prescription: the dispensing institution (the supply centre or the upper hospital)
    /// is another member than the issuing one (422 naming `dispensingInstitutionCode`).
    package static func checkParties(issuerID: Int64, dispensingID: Int64) throws(DomainError) {
        guard issuerID != dispensingID else {
            throw .invalid("dispensingInstitutionCode", "the dispensing institution is another member than the issuing one")
        }
    }

    /// The long-prescription check's facts for an extended prescription: the drug comes from the consortium's
    /// catalogue, not the issuer's own list, so the check's "in the prescribing institution's catalogue" is asked of
    /// both (without this every chronic extended prescription would be refused `NOT_IN_CATALOGUE`).
    package static func longCheckContext(
        _ context: LongPrescriptionContext, issuerID: Int64, consortiumCatalogue: Set<String>
    ) -> LongPrescriptionContext {
        var context = context
        context.catalogues[issuerID, default: []].formUnion(consortiumCatalogue)
        return context
    }

    /// The supply a patient holds, for the long-prescription check: the active long prescriptions and the extended
    /// prescriptions of chronic-disease drugs not refused, cancelled nor uncollected, each lasting from its issue
    /// for its days, in the order of their last day (the check keeps the last one per drug, so the latest wins).
    package static func supplyOnHand(long: [ActiveSupply], extended: [ExtendedSupply]) -> [ActiveSupply] {
        let fromExtended = extended.filter { $0.chronic && counts($0.state) }.map {
            ActiveSupply(
                drugCode: $0.drugCode, prescriptionID: $0.prescriptionID, lastDay: $0.issuedOn.adding(days: $0.days - 1),
                extended: true)
        }
        return (long + fromExtended).enumerated().sorted { a, b in
            a.element.lastDay != b.element.lastDay ? a.element.lastDay < b.element.lastDay : a.offset < b.offset
        }.map(\.element)
    }

    /// Issued supply the patient holds or will hold.
    static func counts(_ state: ExtendedPrescriptionState) -> Bool {
        switch state {
        case .requested, .approved, .dispatched, .delivered, .collected: return true
        case .refused, .notCollected, .cancelled: return false
        }
    }

    // MARK: Dates and deadlines

    /// The delivery deadline: `hours` (setting `extended_rx_delivery_deadline_hours`) after approval.
    package static func deliveryDeadline(approvedAt: Date, hours: Int) -> Date {
        approvedAt.addingTimeInterval(TimeInterval(hours) * 3_600)
    }

    /// Late: delivered after the deadline, or not delivered by `now` when the deadline has passed.
    package static func isLate(approvedAt: Date, deliveredAt: Date?, now: Date, hours: Int) -> Bool {
        let deadline = deliveryDeadline(approvedAt: approvedAt, hours: hours)
        return (deliveredAt ?? now) > deadline
    }

    /// Late against the deadline stamped at approval (`delivery_due_at`): delivered after it, or still undelivered
    /// at `now` once it has passed. Nil `due` (never approved) is never late.
    package static func isLate(due: Date?, deliveredAt: Date?, now: Date) -> Bool {
        guard let due else { return false }
        return (deliveredAt ?? now) > due
    }

    /// The issue dates a fulfilment report covers: `from` to `to` inclusive, by default the 30 days up to today; `from`
    /// after `to` is 422 naming `from`, a span over 366 days 422 naming `to`.
    package static func reportWindow(from: BusinessDate?, to: BusinessDate?, today: BusinessDate) throws(DomainError)
        -> (from: BusinessDate, to: BusinessDate)
    {
        let to = to ?? today
        let from = from ?? to.adding(days: -29)
        if from > to { throw .invalid("from", "\(from) is after to (\(to))") }
        if from.days(to: to) > 365 { throw .invalid("to", "a report covers at most 366 days; \(from) to \(to) is longer") }
        return (from, to)
    }

    /// The last day to collect: `days` (setting `extended_rx_collection_deadline_days`) after delivery.
    package static func collectBy(deliveredOn: BusinessDate, days: Int) -> BusinessDate {
        deliveredOn.adding(days: days)
    }

    // MARK: Fulfilment

    /// Fulfilment per member (`\.memberCode`) or per drug (`\.drugCode`), sorted by key.
    package static func fulfilment(
        _ outcomes: [ExtendedOutcome], by key: KeyPath<ExtendedOutcome, String>
    ) -> [ExtendedFulfilment] {
        Dictionary(grouping: outcomes) { $0[keyPath: key] }.map { key, group in
            let collected = group.filter { $0.state == .collected }
            let notCollected = group.filter { $0.state == .notCollected }.count
            let decided = collected.count + notCollected
            let waits = collected.compactMap { o in o.collectedAt.map { Int64($0.timeIntervalSince(o.issuedAt).rounded()) } }
            return ExtendedFulfilment(
                key: key, collected: collected.count, notCollected: notCollected,
                rate: decided == 0 ? nil : Decimal(collected.count) / Decimal(decided), medianSecondsToCollection: median(waits))
        }.sorted { $0.key < $1.key }
    }

    /// The median of whole numbers, the mean of the middle two when their count is even; nil when none.
    package static func median(_ values: [Int64]) -> Decimal? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let upper = sorted.count / 2
        let lower = sorted.count % 2 == 1 ? upper : upper - 1
        return (Decimal(sorted[lower]) + Decimal(sorted[upper])) / 2
    }
}
