import Foundation
import RxDomain
import RxStore

/// A lot on hand with what the rules say of it on the day: its near-expiry class and whether it may be issued.
package struct StockLine: Sendable, Equatable, Encodable {
    package var holding: StockHolding
    package var expiryClass: ExpiryClass
    package var issueability: String
}

/// What a stock list asks for (the contract's query).
package enum StockExpiryFilter: String, Sendable, CaseIterable {
    /// 近效期: within the first (wider) threshold, not yet expired.
    case nearExpiry = "near_expiry"
    /// 过期: quarantined.
    case expired
}

/// The stock card of a lot at a member between two dates.
package struct StockCard: Sendable, Equatable, Encodable {
    package var institutionCode: String
    package var drugCode: String
    package var lotNumber: String
    package var from: BusinessDate
    package var to: BusinessDate
    package var opening: Quantity
    package var lines: [StockCardLine]
    package var closing: Quantity
}

/// Reads of the ledger: a member's stock on hand, a drug across the consortium, a lot's stock card.
package struct StockUseCases: Sendable {
    let database: Database
    let stock: StockStore

    package init(database: Database) {
        self.database = database
        self.stock = StockStore(database: database)
    }

    /// The settings that classify stock on `today`.
    struct Thresholds: Sendable {
        var first: Int
        var second: Int
        var minimumShelfLife: Int
    }

    func thresholds(consortiumID: Int64, today: BusinessDate, on connection: StoreConnection) async throws -> Thresholds {
        let settings = Settings(logger: database.logger)
        let first = PolicySetting.stockNearExpiryDaysFirst
        let second = PolicySetting.stockNearExpiryDaysSecond
        let shelfLife = PolicySetting.stockMinimumShelfLifeForIssueDays
        let texts = try await settings.texts(
            [first.key, second.key, shelfLife.key], consortiumID: consortiumID, on: today, connection: connection)
        return Thresholds(
            first: try await settings.required(first, in: texts, consortiumID: consortiumID, on: today, connection: connection),
            second: try await settings.required(
                second, in: texts, consortiumID: consortiumID, on: today, connection: connection),
            minimumShelfLife: try await settings.required(
                shelfLife, in: texts, consortiumID: consortiumID, on: today, connection: connection))
    }

    /// The keys of `Thresholds`, for reads that take the settings in their own statement.
    static let thresholdKeys = [
        PolicySetting.stockNearExpiryDaysFirst.key, PolicySetting.stockNearExpiryDaysSecond.key,
        PolicySetting.stockMinimumShelfLifeForIssueDays.key,
    ]

    /// The thresholds from the settings a view read with its rows; only a missing one costs a query (to say from when
    /// it has a value).
    func thresholds(_ texts: [String: String], consortiumID: Int64, today: BusinessDate) async throws -> Thresholds {
        guard Self.thresholdKeys.allSatisfy({ texts[$0] != nil }) else {
            return try await database.read { try await thresholds(consortiumID: consortiumID, today: today, on: $0) }
        }
        func value(_ setting: PolicySetting<Int>) throws -> Int {
            try setting.value(text: texts[setting.key], firstEffective: nil, on: today, field: "date")
        }
        return Thresholds(
            first: try value(.stockNearExpiryDaysFirst), second: try value(.stockNearExpiryDaysSecond),
            minimumShelfLife: try value(.stockMinimumShelfLifeForIssueDays))
    }

    func line(_ h: StockHolding, today: BusinessDate, _ t: Thresholds) -> StockLine {
        let state = StockRules.issueability(
            expiry: h.expiry, block: h.block, on: today, minimumShelfLifeDays: t.minimumShelfLife)
        let name: String
        switch state {
        case .issuable: name = "issuable"
        case .expired: name = "expired"
        case .blocked: name = "blocked"
        case .shortShelfLife: name = "short_shelf_life"
        }
        return StockLine(
            holding: h,
            expiryClass: StockRules.expiryClass(expiry: h.expiry, on: today, firstDays: t.first, secondDays: t.second),
            issueability: name)
    }

    /// A page of a member's stock on hand with no filter: the list a pharmacy opens and a HIS polls, read with the
    /// member, its consortium and the settings in one statement (`StockStore.memberView`). `visible` is the caller's
    /// check that the token may see the member (404 when not, or when there is none); the member is looked up in the
    /// token's consortium.
    package func memberPage(
        code: String, today: BusinessDate, page: PageRequest, by principal: Principal,
        visible: (Institution?, Consortium?) throws -> (Institution, Consortium)
    ) async throws -> Page<StockLine> {
        var view: MemberStockView?
        if let consortiumID = principal.consortiumID {
            view = try await stock.memberView(
                code: code, consortiumID: consortiumID, settingKeys: Self.thresholdKeys, on: today, page: page)
        }
        let (institution, consortium) = try visible(view?.institution, view?.consortium)
        try principal.require(
            .readStock(
                consortiumID: consortium.id, institutionID: institution.id,
                leadInstitutionCode: consortium.leadInstitutionCode))
        guard let view else { throw DomainError.notFound("no institution \(code)") }
        let t = try await thresholds(view.settings, consortiumID: consortium.id, today: today)
        var result = Page<StockLine>(rows: [], limit: page.limit, key: { _ in "" })
        result.items = view.page.items.map { line($0, today: today, t) }
        result.nextCursor = view.page.nextCursor
        return result
    }

    /// A member's stock on hand, narrowed by drug, lot, location, near expiry or expired (by the settings on
    /// `today`), blocked.
    package func onHand(
        institution: Institution, consortium: Consortium, drugCode: String?, lotNumber: String?, locationCode: String?,
        expiry: StockExpiryFilter?, blocked: Bool?, today: BusinessDate, page: PageRequest, by principal: Principal
    ) async throws -> Page<StockLine> {
        try principal.require(
            .readStock(
                consortiumID: consortium.id, institutionID: institution.id,
                leadInstitutionCode: consortium.leadInstitutionCode))
        var filter = StockFilter(drugCode: drugCode, lotNumber: lotNumber, locationCode: locationCode, blocked: blocked)
        // One lease for the settings and the page.
        let (t, found) = try await database.read { connection in
            let t = try await thresholds(consortiumID: consortium.id, today: today, on: connection)
            switch expiry {
            case .nearExpiry?:
                filter.expiringAfter = today
                filter.expiringBy = today.adding(days: max(t.first, t.second))
            case .expired?:
                filter.expiredOn = today
            case nil:
                break
            }
            let found = try await stock.onHand(
                consortiumID: consortium.id, institutionID: institution.id, filter: filter, page: page, on: connection)
            return (t, found)
        }
        var result = Page<StockLine>(rows: [], limit: page.limit, key: { _ in "" })
        result.items = found.items.map { line($0, today: today, t) }
        result.nextCursor = found.nextCursor
        return result
    }

    /// A drug's stock at every member (the consortium admin, the supply centre, auditors and regulators), read with
    /// the consortium and the settings in one statement (`StockStore.drugView`). `visible` is the caller's check that
    /// the token may see the consortium (404 when not, or when there is none).
    package func acrossConsortium(
        drugCode: String, consortiumCode: String, today: BusinessDate, by principal: Principal,
        visible: (Consortium?) throws -> Consortium
    ) async throws -> [StockLine] {
        let view = try await stock.drugView(
            consortiumCode: consortiumCode, drugCode: drugCode, settingKeys: Self.thresholdKeys, on: today)
        let consortium = try visible(view?.consortium)
        try principal.require(
            .readAllStock(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        guard let view else { throw DomainError.notFound("no consortium \(consortiumCode)") }
        let t = try await thresholds(view.settings, consortiumID: consortium.id, today: today)
        return view.holdings.map { line($0, today: today, t) }
    }

    /// The stock card of a lot at a member from `from` to `to` (422 naming `to` when it is before `from`).
    package func card(
        institution: Institution, consortium: Consortium, drugCode: String, lotNumber: String, locationCode: String?,
        from: BusinessDate, to: BusinessDate, by principal: Principal
    ) async throws -> StockCard {
        try principal.require(
            .readStock(
                consortiumID: consortium.id, institutionID: institution.id,
                leadInstitutionCode: consortium.leadInstitutionCode))
        guard from <= to else { throw DomainError.invalid("to", "\(to) is before \(from)") }
        guard !LotKey(lotNumber).isEmpty else { throw DomainError.invalid("lot", "must not be blank") }
        let locationID = try await database.read { connection in
            try await DispensingUseCases(database: database).location(locationCode, institution: institution, on: connection)
        }
        let (opening, lines) = try await stock.card(
            consortiumID: consortium.id, institutionID: institution.id, locationID: locationID, drugCode: drugCode,
            lotNumber: lotNumber, from: from, to: to)
        let closing = lines.reduce(opening) { $0 + $1.quantity }
        return StockCard(
            institutionCode: institution.code, drugCode: drugCode, lotNumber: lotNumber, from: from, to: to,
            opening: opening, lines: lines, closing: closing)
    }
}

/// The movements documents recorded elsewhere post, inside the document's own transaction: a delivery's purchase
/// receipt (108), a preparation shipment (102, with 106 for what the producer made and never entered) and its
/// receipt (101).
package struct StockPostings: Sendable {
    let stock: StockStore
    let movements: StockMovementStore

    package init(database: Database) {
        self.stock = StockStore(database: database)
        self.movements = StockMovementStore(database: database)
    }

    /// The purchase receipt (108) of the delivery just recorded on an order line, at the ordering member, with the
    /// traceability codes scanned (already validated and checked against earlier receipts).
    package func postDelivery(
        orderID: Int64, lineNo: Int, consortiumID: Int64, codes: [TraceabilityCode] = [], by tokenID: Int64?,
        on connection: StoreConnection
    )
        async throws
    {
        let d = try await stock.delivery(orderID: orderID, lineNo: lineNo, consortiumID: consortiumID, on: connection)
            .orNotFound("no delivery on order \(orderID) line \(lineNo)")
        let receipt = StockRules.receipt(
            delivered: d.quantity, orderedIn: d.orderedIn, packageSize: d.packageSize, unitPrice: d.unitPrice)
        let ids = try await movements.post(
            [
                NewStockMovement(
                    institutionID: d.institutionID, locationID: nil, lot: d.lot, reason: .purchaseReceipt,
                    quantity: receipt.quantity, documentType: .delivery, documentID: d.id, businessDate: d.receivedOn,
                    unitCost: receipt.unitCost)
            ], consortiumID: consortiumID, actorTokenID: tokenID, on: connection)
        try await stock.recordReceivedCodes(
            codes.map(\.value), consortiumID: consortiumID, institutionID: d.institutionID, movementID: ids[0],
            on: connection)
    }

    /// A preparation's shipment out of the producer (102); what the producer does not hold of the lot enters first
    /// as made (106, `DispensingRules.preparationShipment`).
    package func postPreparationShipment(
        _ shipment: TransferShipment, producerInstitutionID: Int64, by tokenID: Int64?, on connection: StoreConnection
    )
        async throws
    {
        let lot = StockLot(drugCode: shipment.drugCode, lotNumber: shipment.lotNumber, expiry: shipment.expiryDate)
        let held = try await stock.heldQuantity(
            consortiumID: shipment.consortiumID, institutionID: producerInstitutionID, locationID: nil,
            drugCode: shipment.drugCode, lotNumber: shipment.lotNumber, on: connection)
        let (produced, shipped) = DispensingRules.preparationShipment(held: held, shipped: shipment.quantity)
        var posted: [NewStockMovement] = []
        if produced > .zero {
            posted.append(
                NewStockMovement(
                    institutionID: producerInstitutionID, locationID: nil, lot: lot, reason: .otherIn, quantity: produced,
                    documentType: .preparationTransfer, documentID: shipment.id, businessDate: shipment.shippedOn))
        }
        posted.append(
            NewStockMovement(
                institutionID: producerInstitutionID, locationID: nil, lot: lot, reason: .transferOut, quantity: shipped,
                documentType: .preparationTransfer, documentID: shipment.id, businessDate: shipment.shippedOn))
        try await movements.post(posted, consortiumID: shipment.consortiumID, actorTokenID: tokenID, on: connection)
    }

    /// What arrived of a preparation shipment enters the receiver's stock (101); nothing when nothing arrived.
    package func postPreparationReceipt(_ shipment: TransferShipment, by tokenID: Int64?, on connection: StoreConnection)
        async throws
    {
        guard let receipt = shipment.receipt, receipt.quantityReceived > .zero else { return }
        try await movements.post(
            [
                NewStockMovement(
                    institutionID: shipment.receiverInstitutionID, locationID: nil,
                    lot: StockLot(drugCode: shipment.drugCode, lotNumber: shipment.lotNumber, expiry: shipment.expiryDate),
                    reason: .transferIn, quantity: receipt.quantityReceived, documentType: .preparationTransfer,
                    documentID: shipment.id, businessDate: receipt.receivedOn)
            ], consortiumID: shipment.consortiumID, actorTokenID: tokenID, on: connection)
    }
}
