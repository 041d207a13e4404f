import Crypto
import Foundation
import RxDomain
import RxStore

/// Members' purchase orders at the unified price, their state moves, draft corrections and deliveries by lot.
package struct OrderUseCases: Sendable {
    package typealias DeliveryRequest = OrderStore.DeliveryRequest

    let database: Database
    let orders: OrderStore

    package init(database: Database) {
        self.database = database
        self.orders = OrderStore(database: database)
    }

    // MARK: Reading

    /// An order, for whoever may read it (others: 404, as for an order that does not exist).
    package func order(id: Int64, consortium: Consortium, by principal: Principal) async throws -> PurchaseOrder {
        let order = try await database.read { try await orders.order(id: id, consortiumID: consortium.id, connection: $0) }
        guard let order, principal.may(.readOrders(consortium, institutionID: order.institutionID)) else {
            throw DomainError.notFound("no order \(id)")
        }
        return order
    }

    /// A member's orders, oldest first, optionally only those in one state.
    package func list(
        institution: Institution, consortium: Consortium, status: OrderStatus? = nil, by principal: Principal, page: PageRequest
    ) async throws -> Page<PurchaseOrder> {
        try principal.require(.readOrders(consortium, institutionID: institution.id), refusal: OrderRules.listingRefusal)
        return try await memberPage(institution: institution, consortium: consortium, status: status, page: page)
    }

    /// A page of a member's orders (every state) as `answer` writes it: the page a member's HIS polls. The member is
    /// read with its orders' stamp (`OrderStore.memberWithOrderStamp`); the answer kept at that stamp is served again
    /// (`KeptAnswers`, ADR 0016), otherwise the page is read with the stamp it stands for, shared by the same page's
    /// reads under load (`ReadSharing`), and kept at that stamp. `visible` is the caller's check that the token may
    /// see the member (404 when not, or when there is none); the member is looked up in the token's consortium.
    package func memberPage<Answer: Sendable>(
        code: String, by principal: Principal, page: PageRequest,
        visible: (Institution?, Consortium?) throws -> (Institution, Consortium),
        kept: KeptAnswers<MemberOrdersPage, Answer>, sharing: ReadSharing<MemberOrdersPage, Stamped<Answer>>,
        answer: @escaping @Sendable (Page<PurchaseOrder>) throws -> Answer
    ) async throws -> Answer {
        var found: MemberOrderStamp?
        if let consortiumID = principal.consortiumID {
            found = try await orders.memberWithOrderStamp(code: code, consortiumID: consortiumID)
        }
        let (institution, consortium) = try visible(found?.institution, found?.consortium)
        try principal.require(.readOrders(consortium, institutionID: institution.id), refusal: OrderRules.listingRefusal)
        let key = MemberOrdersPage(consortiumID: consortium.id, institutionID: institution.id, page: page)
        if let stamp = found?.stamp, let value = kept.answer(for: key, at: stamp) { return value }
        let read = try await sharing.value(for: key) { began in
            let read = try await database.read {
                began()
                return try await orders.memberOrders(
                    consortiumID: consortium.id, institutionID: institution.id, page: page, connection: $0)
            }
            return Stamped(value: try answer(read.page), stamp: read.stamp)
        }
        if let stamp = read.stamp { kept.keep(read.value, for: key, at: stamp) }
        return read.value
    }

    /// A member's orders page in one state or every state.
    private func memberPage(
        institution: Institution, consortium: Consortium, status: OrderStatus?, page: PageRequest
    ) async throws -> Page<PurchaseOrder> {
        try await database.read {
            try await orders.orders(
                consortiumID: consortium.id, institutionID: institution.id, status: status, page: page, connection: $0)
        }
    }

    /// Every member's orders, oldest first, as the supply centre (and auditors, regulators) see them; optionally one
    /// member's (an unknown code finds none) or one state's.
    package func list(
        consortium: Consortium, institutionCode: String?, status: OrderStatus?, by principal: Principal, page: PageRequest
    ) async throws -> Page<PurchaseOrder> {
        try principal.require(
            .readSupplyCentreOrders(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        return try await database.read {
            try await orders.orders(
                consortiumID: consortium.id, institutionID: nil, institutionCode: institutionCode, status: status,
                page: page, connection: $0)
        }
    }

    /// The lots received on an order, in the order they were recorded, for whoever may read its lots (others: 404).
    package func lots(
        orderID: Int64, lineNo: Int?, lotNumber: String?, consortium: Consortium, by principal: Principal, page: PageRequest
    ) async throws -> Page<DeliveredLot> {
        try await database.read { connection in
            guard
                let institutionID = try await orders.orderInstitutionID(
                    orderID: orderID, consortiumID: consortium.id, on: connection),
                principal.may(
                    .readOrderLots(
                        consortiumID: consortium.id, institutionID: institutionID,
                        leadInstitutionCode: consortium.leadInstitutionCode))
            else { throw DomainError.notFound("no order \(orderID)") }
            return try await orders.lots(
                orderID: orderID, lineNo: lineNo, lotNumber: lotNumber, consortiumID: consortium.id, page: page,
                on: connection)
        }
    }

    // MARK: Ordering

    /// Raises an order at the unified prices in effect today. Every drug must be in the member's catalogue in effect
    /// and have a unified price; otherwise 422 names each offending line. With an idempotency key, a retry returns
    /// the first order and creates nothing; the same key with another body is 422.
    package func create(
        institution: Institution, lines: [OrderLineRequest], idempotencyKey: String?, today: BusinessDate,
        by principal: Principal
    ) async throws -> (order: PurchaseOrder, replayed: Bool) {
        try principal.require(.raiseOrder(consortiumID: institution.consortiumID, institutionID: institution.id))
        try OrderRules.checkLines(lines)
        // What the key stands for: the same key with another body is a different request.
        let canonical = ([institution.code] + lines.map { "\($0.drugCode):\($0.quantity)" }).joined(separator: "|")
        let requestHash = Data(SHA256.hash(data: Data(canonical.utf8)))
        let consortiumID = institution.consortiumID
        return try await database.transaction { connection in
            if let key = idempotencyKey, let tokenID = principal.tokenID {
                let keys = IdempotencyKeyStore(database: database)
                let fresh = try await keys.claim(
                    key, for: .createOrder, requestHash: requestHash, tokenID: tokenID, consortiumID: consortiumID,
                    on: connection)
                if !fresh {
                    let stored = try await keys.stored(
                        key, for: .createOrder, tokenID: tokenID, consortiumID: consortiumID, on: connection)
                    let orderID = try OrderRules.replayedOrderID(
                        stored.map { OrderRules.StoredKey(requestHash: $0.requestHash, orderID: $0.recordID) },
                        requestHash: requestHash)
                    return (try await existing(orderID, consortiumID: consortiumID, connection: connection), true)
                }
            }
            let created = try await insertOrder(
                institution: institution, lines: lines, today: today, by: principal, connection: connection)
            if let key = idempotencyKey, let tokenID = principal.tokenID {
                try await IdempotencyKeyStore(database: database).record(
                    key, for: .createOrder, recordID: created.id, tokenID: tokenID, consortiumID: consortiumID,
                    on: connection)
            }
            try await database.audit.record(
                on: connection, consortiumID: consortiumID, actor: Actor(principal), action: "create",
                entityType: "purchase_order", entityKey: String(created.id), before: PurchaseOrder?.none, after: created)
            return (created, false)
        }
    }

    /// The order's create path inside the caller's transaction (the caller checked who may and writes the audit
    /// row): every drug in the member's catalogue in effect with a unified price today, else 422 naming each line.
    /// The emergency purchase of a shortage (`ShortageActionUseCases`) raises its order through it.
    package func insertOrder(
        institution: Institution, lines: [OrderLineRequest], today: BusinessDate, by principal: Principal,
        connection: StoreConnection
    ) async throws -> PurchaseOrder {
        try OrderRules.checkLines(lines)
        let consortiumID = institution.consortiumID
        let held = try await orders.catalogueDrugCodes(institution: institution, on: today, connection: connection)
        var found: [OrderRules.OrderableLine<PriceAgreement>] = []
        for line in lines {
            let inCatalogue = held.contains(line.drugCode)
            let price =
                inCatalogue
                ? try await orders.priceInEffect(
                    consortiumID: consortiumID, drugCode: line.drugCode, on: today, connection: connection)
                : nil
            found.append(OrderRules.OrderableLine(line: line, inCatalogue: inCatalogue, price: price))
        }
        let priced = try OrderRules.pricedLines(found, institutionCode: institution.code, today: today)
        guard
            let id = try await orders.insertOrder(
                institution: institution, lines: priced, orderDate: today, createdBy: principal.tokenID, on: connection)
        else { throw DomainError.conflict("the order was not created") }
        return try await existing(id, consortiumID: consortiumID, connection: connection)
    }

    /// Submits, cancels or closes an order; 409 when its state does not allow it. A submission is stamped with
    /// `today` (the shortage scan's late delivery counts from it).
    package func move(
        id: Int64, action: OrderAction, consortium: Consortium, today: BusinessDate, by principal: Principal
    ) async throws -> PurchaseOrder {
        try await database.transaction { connection in
            let before = try await readable(id, consortium: consortium, by: principal, connection: connection)
            try principal.require(
                .moveOrder(
                    consortiumID: consortium.id, institutionID: before.institutionID,
                    leadInstitutionCode: consortium.leadInstitutionCode),
                refusal: OrderRules.moverRefusal)
            let next = try ProcurementRules.next(before.status, action)
            try await orders.setStatus(
                next, orderID: id, consortiumID: consortium.id, submittedOn: next == .submitted ? today : nil,
                on: connection)
            let after = try await existing(id, consortiumID: consortium.id, connection: connection)
            try await database.audit.record(
                on: connection, consortiumID: consortium.id, actor: Actor(principal), action: action.rawValue,
                entityType: "purchase_order", entityKey: String(id), before: before, after: after)
            return after
        }
    }

    /// Corrects a draft order's lines (issue 18, point 13): a quantity changed, a line added or removed, with the
    /// reason kept in the audit trail. The order row is locked, so a submission racing the edit waits for it and a
    /// submitted order answers 409 naming its state. A line added takes the unified price in effect on the order
    /// date and must be in the member's catalogue in effect on it, as when the order was raised; a changed quantity
    /// keeps its line's price. Prices never come from the client.
    package func edit(
        orderID: Int64, _ edit: OrderDraftEdit, reason: String?, consortium: Consortium, by principal: Principal
    ) async throws -> PurchaseOrder {
        let reason = try CorrectionReason.require(reason)
        return try await database.transaction { connection in
            let before = try await readable(orderID, consortium: consortium, by: principal, connection: connection)
            try principal.require(.raiseOrder(consortiumID: consortium.id, institutionID: before.institutionID))
            try ProcurementRules.requireDraftForLineEdits(orderID: orderID, status: before.status)
            try ProcurementRules.checkDraftEdit(edit, lines: before.lines.map { ($0.lineNo, $0.drugCode) })
            let lineNo: Int
            switch edit {
            case .add(let drugCode, let quantity):
                let price = try await priceForAddedLine(
                    drugCode: drugCode, institutionCode: before.institutionCode, orderDate: before.orderDate,
                    consortiumID: consortium.id, connection: connection)
                lineNo = ProcurementRules.nextLineNo(after: before.lines.map(\.lineNo))
                try await orders.insertLine(
                    orderID: orderID, consortiumID: consortium.id, lineNo: lineNo, drugCode: drugCode, quantity: quantity,
                    price: price, on: connection)
            case .changeQuantity(let number, let quantity):
                lineNo = number
                try await orders.updateLineQuantity(
                    orderID: orderID, lineNo: number, quantity: quantity, consortiumID: consortium.id, on: connection)
            case .remove(let number):
                lineNo = number
                try await orders.deleteLine(orderID: orderID, lineNo: number, consortiumID: consortium.id, on: connection)
            }
            try await orders.touch(orderID: orderID, consortiumID: consortium.id, on: connection)
            let after = try await existing(orderID, consortiumID: consortium.id, connection: connection)
            struct Record: Encodable { var line: PurchaseOrderLine?; var reason: String? }
            try await database.audit.record(
                on: connection, consortiumID: consortium.id, actor: Actor(principal), action: edit.action,
                entityType: "purchase_order_line", entityKey: "\(orderID)/\(lineNo)",
                before: before.lines.first(where: { $0.lineNo == lineNo }).map { Record(line: $0, reason: nil) },
                after: Record(line: after.lines.first(where: { $0.lineNo == lineNo }), reason: reason))
            return after
        }
    }

    /// The unified price in effect on the order date for a drug added to a draft, which must be in the member's
    /// catalogue in effect on that date (422 naming `drugCode` otherwise).
    private func priceForAddedLine(
        drugCode: String, institutionCode: String, orderDate: BusinessDate, consortiumID: Int64,
        connection: StoreConnection
    ) async throws -> PriceAgreement {
        guard let institution = try await orders.institution(code: institutionCode, consortiumID: consortiumID, on: connection)
        else { throw DomainError.notFound("no institution \(institutionCode)") }
        let inCatalogue = try await orders.catalogueDrugCodes(institution: institution, on: orderDate, connection: connection)
            .contains(drugCode)
        let price =
            inCatalogue
            ? try await orders.priceInEffect(
                consortiumID: consortiumID, drugCode: drugCode, on: orderDate, connection: connection)
            : nil
        return try OrderRules.addedLinePrice(
            price, drugCode: drugCode, inCatalogue: inCatalogue, institutionCode: institutionCode, orderDate: orderDate)
    }

    // MARK: Receiving

    /// Records a delivery by lot. Over-delivery, an expired lot or one short of the minimum remaining shelf life
    /// is refused unless recorded explicitly as an exception (which the reconciliation reports).
    package func receive(
        orderID: Int64, _ delivery: DeliveryRequest, consortium: Consortium, today: BusinessDate = .today(),
        by principal: Principal
    ) async throws -> PurchaseOrder {
        try OrderRules.checkDeliveryQuantity(delivery.quantity)
        return try await database.transaction { connection in
            let before = try await readable(orderID, consortium: consortium, by: principal, connection: connection)
            try principal.require(.raiseOrder(consortiumID: consortium.id, institutionID: before.institutionID))
            let index = try OrderRules.deliveryLineIndex(
                orderID: orderID, status: before.status, emergency: before.emergencyShortageID != nil,
                lineNos: before.lines.map(\.lineNo), lineNo: delivery.lineNo)
            let line = before.lines[index]
            try delivery.receivedOn.requireHappened(
                field: "receivedOn", today: today, notBefore: (before.orderDate, "the date order \(orderID) was placed"))
            // A lot the lead's lab rejected (中药饮片联合带量采购) is blocked at every member.
            let failures = try await orders.rejectedLotFailures(
                consortiumID: consortium.id, drugCode: line.drugCode, lotNumber: delivery.lotNumber, on: connection)
            try OrderRules.checkLotNotRejected(failures: failures, lotNumber: delivery.lotNumber, drugCode: line.drugCode)
            let months = try await Settings(logger: database.logger).required(
                .minimumRemainingShelfLifeMonths, consortiumID: consortium.id, on: delivery.receivedOn, connection: connection)
            let problems = ProcurementRules.deliveryProblems(
                ordered: line.quantity, alreadyReceived: line.receivedQuantity, quantity: delivery.quantity,
                expiry: delivery.expiryDate, receivedOn: delivery.receivedOn, minimumShelfLifeMonths: months)
            let exception = try OrderRules.acceptedException(problems: problems, exceptionReason: delivery.exceptionReason)
            // 药品追溯码 scanned at the receipt: each maps to the line's drug, and enters the consortium once.
            let stock = StockStore(database: database)
            let prefixes = try await stock.traceabilityPrefixes(
                Array(Set(delivery.traceabilityCodes.map { String($0.trimmingCharacters(in: .whitespaces).prefix(7)) })),
                on: connection)
            let codes = try TraceabilityRules.validate(
                delivery.traceabilityCodes, drugCode: line.drugCode, prefixes: prefixes)
            try TraceabilityRules.checkFirstReceipt(
                codes,
                receivedAt: try await stock.receivedCodes(codes.map(\.value), consortiumID: consortium.id, on: connection))
            try await orders.insertDelivery(
                orderID: orderID, lineNo: line.lineNo, delivery, exception: exception, consortiumID: consortium.id,
                recordedBy: principal.tokenID, on: connection)
            // The delivery's purchase receipt (108) enters the member's stock in the same transaction.
            try await StockPostings(database: database).postDelivery(
                orderID: orderID, lineNo: line.lineNo, consortiumID: consortium.id, codes: codes, by: principal.tokenID,
                on: connection)
            var lines = before.lines
            lines[index].receivedQuantity += delivery.quantity
            let status = ProcurementRules.statusAfterDelivery(lines: lines.map { ($0.quantity, $0.receivedQuantity) })
            try await orders.setStatus(status, orderID: orderID, consortiumID: consortium.id, on: connection)
            let after = try await existing(orderID, consortiumID: consortium.id, connection: connection)
            struct Record: Encodable {
                var orderID: Int64; var lineNo: Int; var lot: String; var expiry: String; var quantity: Decimal;
                var exception: String?; var traceabilityCodes: [String]
            }
            try await database.audit.record(
                on: connection, consortiumID: consortium.id, actor: Actor(principal), action: "receive",
                entityType: "delivery", entityKey: "\(orderID)/\(line.lineNo)/\(delivery.lotNumber)", before: Record?.none,
                after: Record(
                    orderID: orderID, lineNo: line.lineNo, lot: delivery.lotNumber, expiry: delivery.expiryDate.description,
                    quantity: delivery.quantity, exception: exception, traceabilityCodes: codes.map(\.value)))
            return after
        }
    }

    // MARK: Helpers

    /// An order locked for a change, for whoever may read it (others: 404, as for an order that does not exist).
    private func readable(_ id: Int64, consortium: Consortium, by principal: Principal, connection: StoreConnection)
        async throws -> PurchaseOrder
    {
        guard
            let order = try await orders.order(id: id, consortiumID: consortium.id, connection: connection, lock: true),
            principal.may(.readOrders(consortium, institutionID: order.institutionID))
        else { throw DomainError.notFound("no order \(id)") }
        return order
    }

    /// An order known to exist (read back in the transaction that created or changed it).
    private func existing(_ id: Int64, consortiumID: Int64, connection: StoreConnection) async throws -> PurchaseOrder {
        let order = try await orders.order(id: id, consortiumID: consortiumID, connection: connection).orNotFound(
            "no order \(id)")
        return order
    }
}

extension Permission {
    /// `readOrders` on a member's orders in `consortium`, with its lead as the supply centre.
    fileprivate static func readOrders(_ consortium: Consortium, institutionID: Int64) -> Permission {
        .readOrders(
            consortiumID: consortium.id, institutionID: institutionID, leadInstitutionCode: consortium.leadInstitutionCode)
    }
}

/// What a page of a member's orders depends on, for `ReadSharing` and `KeptAnswers`: the member, where the page
/// starts (a cursor that is not an order's id reads the first page) and its size.
package struct MemberOrdersPage: Sendable, Hashable {
    let consortiumID: Int64
    let institutionID: Int64
    let afterID: Int64
    let limit: Int

    package init(consortiumID: Int64, institutionID: Int64, page: PageRequest) {
        (self.consortiumID, self.institutionID, afterID, limit) = (consortiumID, institutionID, page.afterID, page.limit)
    }
}

/// An answer with the stamp of what it was read from (`KeptAnswers`); nil when it is not to be kept.
package struct Stamped<Value: Sendable>: Sendable {
    package var value: Value
    package var stamp: Int64?
}
