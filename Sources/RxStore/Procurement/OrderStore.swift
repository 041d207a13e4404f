import Crypto
import Foundation
import Logging
import PostgresNIO
import RxDomain

package struct PurchaseOrderLine: Sendable, Equatable, Encodable {
    package var lineNo: Int
    package var drugCode: String
    package var quantity: Decimal
    package var quantityUnit: PriceUnit
    package var unitPrice: Money
    package var priceAgreementID: Int64
    package var consolidatedOrderID: Int64?
    package var receivedQuantity: Decimal
}

package struct PurchaseOrder: Sendable, Equatable, Encodable {
    package var id: Int64
    package var institutionID: Int64
    package var institutionCode: String
    package var status: OrderStatus
    package var orderDate: BusinessDate
    package var lines: [PurchaseOrderLine]
}

/// Members' purchase orders at the unified price, their state moves, and deliveries by lot.
package struct OrderStore: SQLStore {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    // MARK: Reading

    func order(id: Int64, consortiumID: Int64, connection: PostgresConnection, lock: Bool = false) async throws -> PurchaseOrder {
        let query: PostgresQuery =
            lock
            ? """
            SELECT o.id, o.institution_id, i.code, o.status, o.order_date::text FROM purchase_orders o
            JOIN institutions i ON i.id = o.institution_id
            WHERE o.consortium_id = \(consortiumID) AND o.id = \(id) FOR UPDATE OF o
            """
            : """
            SELECT o.id, o.institution_id, i.code, o.status, o.order_date::text FROM purchase_orders o
            JOIN institutions i ON i.id = o.institution_id
            WHERE o.consortium_id = \(consortiumID) AND o.id = \(id)
            """
        guard let head = try await connection.row(query, as: (Int64, Int64, String, String, String).self, logger: logger) else {
            throw DomainError.notFound("no order \(id)")
        }
        let lines = try await connection.rows(
            """
            SELECT line_no, drug_code, quantity, quantity_unit, unit_price, price_agreement_id, consolidated_order_id,
                   received_quantity
            FROM purchase_order_lines WHERE consortium_id = \(consortiumID) AND order_id = \(id) ORDER BY line_no
            """, as: (Int, String, Decimal, String, Decimal, Int64, Int64?, Decimal).self, logger: logger
        ).map {
            PurchaseOrderLine(
                lineNo: $0.0, drugCode: $0.1, quantity: $0.2, quantityUnit: try decodeEnum($0.3), unitPrice: Money($0.4),
                priceAgreementID: $0.5, consolidatedOrderID: $0.6, receivedQuantity: $0.7)
        }
        return PurchaseOrder(
            id: head.0, institutionID: head.1, institutionCode: head.2, status: try decodeEnum(head.3),
            orderDate: BusinessDate(head.4)!, lines: lines)
    }

    package func order(id: Int64, consortium: Consortium, by principal: Principal) async throws -> PurchaseOrder {
        let order = try await database.read { try await self.order(id: id, consortiumID: consortium.id, connection: $0) }
        guard
            principal.may(
                .readOrders(
                    consortiumID: consortium.id, institutionID: order.institutionID,
                    leadInstitutionCode: consortium.leadInstitutionCode))
        else {
            throw DomainError.notFound("no order \(id)")
        }
        return order
    }

    /// A member's orders, oldest first, optionally only those in one state.
    package func list(
        institution: Institution, consortium: Consortium, status: OrderStatus? = nil, by principal: Principal, page: PageRequest
    ) async throws -> Page<PurchaseOrder> {
        try OrderRules.checkListing(
            allowed: principal.may(
                .readOrders(
                    consortiumID: consortium.id, institutionID: institution.id,
                    leadInstitutionCode: consortium.leadInstitutionCode)))
        return try await database.read {
            try await orders(
                consortiumID: consortium.id, institutionID: institution.id, status: status, page: page, connection: $0)
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
        return try await database.transaction { connection in
            if let key = idempotencyKey, let tokenID = principal.tokenID {
                let fresh = try await connection.row(
                    """
                    INSERT INTO idempotency_keys (consortium_id, token_id, key, operation, request_hash, response_status, response_body)
                    VALUES (\(institution.consortiumID), \(tokenID), \(key), 'create_order', \(requestHash), 201, '{}'::jsonb)
                    ON CONFLICT DO NOTHING RETURNING 1
                    """, as: Int.self, logger: logger)
                if fresh == nil {
                    let stored = try await connection.row(
                        """
                        SELECT request_hash, (response_body->>'orderId')::bigint FROM idempotency_keys
                        WHERE consortium_id = \(institution.consortiumID) AND token_id = \(tokenID) AND key = \(key)
                          AND operation = 'create_order'
                        """, as: (Data, Int64?).self, logger: logger)
                    let orderID = try OrderRules.replayedOrderID(
                        stored.map { OrderRules.StoredKey(requestHash: $0.0, orderID: $0.1) }, requestHash: requestHash)
                    return (try await order(id: orderID, consortiumID: institution.consortiumID, connection: connection), true)
                }
            }
            let created = try await insertOrder(
                institution: institution, lines: lines, today: today, principal: principal, connection: connection)
            if let key = idempotencyKey, let tokenID = principal.tokenID {
                try await connection.run(
                    """
                    UPDATE idempotency_keys SET response_body = jsonb_build_object('orderId', \(created.id))
                    WHERE consortium_id = \(institution.consortiumID) AND token_id = \(tokenID) AND key = \(key)
                      AND operation = 'create_order'
                    """, logger: logger)
            }
            try await audit.record(
                on: connection, consortiumID: institution.consortiumID, actor: Actor(principal), action: "create",
                entityType: "purchase_order", entityKey: String(created.id), before: PurchaseOrder?.none, after: created)
            return (created, false)
        }
    }

    private func insertOrder(
        institution: Institution, lines: [OrderLineRequest], today: BusinessDate, principal: Principal,
        connection: PostgresConnection
    ) async throws -> PurchaseOrder {
        let catalogue = try await MemberCatalogueStore(database: database).get(
            institution: institution, on: today, connection: connection)
        let held = Set(catalogue.drugs.map(\.code))
        let prices = PriceStore(database: database)
        var found: [OrderRules.OrderableLine<PriceAgreement>] = []
        for line in lines {
            let inCatalogue = held.contains(line.drugCode)
            let price =
                inCatalogue
                ? try await prices.inEffect(
                    consortiumID: institution.consortiumID, drugCode: line.drugCode, on: today, connection: connection)
                : nil
            found.append(OrderRules.OrderableLine(line: line, inCatalogue: inCatalogue, price: price))
        }
        let priced = try OrderRules.pricedLines(found, institutionCode: institution.code, today: today)
        guard
            let id = try await connection.row(
                """
                INSERT INTO purchase_orders (consortium_id, institution_id, order_date, created_by)
                VALUES (\(institution.consortiumID), \(institution.id), \(today.description)::date, \(principal.tokenID))
                RETURNING id
                """, as: Int64.self, logger: logger)
        else { throw DomainError.conflict("the order was not created") }
        for (index, (line, price)) in priced.enumerated() {
            try await connection.run(
                """
                INSERT INTO purchase_order_lines (consortium_id, order_id, line_no, drug_code, quantity, quantity_unit,
                                                  unit_price, price_agreement_id)
                VALUES (\(institution.consortiumID), \(id), \(index + 1), \(line.drugCode), \(line.quantity),
                        \(price.priceUnit.rawValue), \(price.unitPrice.amount), \(price.id))
                """, logger: logger)
        }
        return try await order(id: id, consortiumID: institution.consortiumID, connection: connection)
    }

    /// Submits, cancels or closes an order; 409 when its state does not allow it.
    package func move(id: Int64, action: OrderAction, consortium: Consortium, by principal: Principal) async throws
        -> PurchaseOrder
    {
        try await database.transaction { connection in
            let before = try await order(id: id, consortiumID: consortium.id, connection: connection, lock: true)
            guard
                principal.may(
                    .readOrders(
                        consortiumID: consortium.id, institutionID: before.institutionID,
                        leadInstitutionCode: consortium.leadInstitutionCode))
            else {
                throw DomainError.notFound("no order \(id)")
            }
            try OrderRules.checkMover(
                member: principal.may(.raiseOrder(consortiumID: consortium.id, institutionID: before.institutionID)),
                supplyCentre: principal.may(
                    .runSupplyCentre(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode)))
            let next = try ProcurementRules.next(before.status, action)
            try await connection.run(
                "UPDATE purchase_orders SET status = \(next.rawValue), updated_at = now() WHERE consortium_id = \(consortium.id) AND id = \(id)",
                logger: logger)
            let after = try await order(id: id, consortiumID: consortium.id, connection: connection)
            try await audit.record(
                on: connection, consortiumID: consortium.id, actor: Actor(principal), action: action.rawValue,
                entityType: "purchase_order", entityKey: String(id), before: before, after: after)
            return after
        }
    }

    // MARK: Receiving

    package struct DeliveryRequest: Sendable {
        package var lineNo: Int
        package var lotNumber: String
        package var expiryDate: BusinessDate
        package var quantity: Decimal
        package var receivedOn: BusinessDate
        package var exceptionReason: String?
        package init(
            lineNo: Int, lotNumber: String, expiryDate: BusinessDate, quantity: Decimal, receivedOn: BusinessDate,
            exceptionReason: String?
        ) {
            self.lineNo = lineNo
            self.lotNumber = lotNumber
            self.expiryDate = expiryDate
            self.quantity = quantity
            self.receivedOn = receivedOn
            self.exceptionReason = exceptionReason
        }
    }

    /// Records a delivery by lot. Over-delivery, an expired lot or one short of the minimum remaining shelf life
    /// is refused unless recorded explicitly as an exception (which the reconciliation reports).
    package func receive(
        orderID: Int64, _ delivery: DeliveryRequest, consortium: Consortium, today: BusinessDate = .today(),
        by principal: Principal
    ) async throws -> PurchaseOrder {
        try OrderRules.checkDeliveryQuantity(delivery.quantity)
        return try await database.transaction { connection in
            let before = try await order(id: orderID, consortiumID: consortium.id, connection: connection, lock: true)
            guard
                principal.may(
                    .readOrders(
                        consortiumID: consortium.id, institutionID: before.institutionID,
                        leadInstitutionCode: consortium.leadInstitutionCode))
            else {
                throw DomainError.notFound("no order \(orderID)")
            }
            try principal.require(.raiseOrder(consortiumID: consortium.id, institutionID: before.institutionID))
            let index = try OrderRules.deliveryLineIndex(
                orderID: orderID, status: before.status, lineNos: before.lines.map(\.lineNo), lineNo: delivery.lineNo)
            let line = before.lines[index]
            try delivery.receivedOn.requireHappened(
                field: "receivedOn", today: today, notBefore: (before.orderDate, "the date order \(orderID) was placed"))
            // A lot the lead's lab rejected (中药饮片联合带量采购) is blocked at every member.
            let failures = try await connection.row(
                """
                SELECT failures FROM herb_inspections WHERE consortium_id = \(consortium.id) AND drug_code = \(line.drugCode)
                  AND lot_key = lot_key(\(delivery.lotNumber)) AND result = 'rejected'
                """, as: [String].self, logger: logger)
            try OrderRules.checkLotNotRejected(failures: failures, lotNumber: delivery.lotNumber, drugCode: line.drugCode)
            let months = try await Settings(logger: logger).required(
                .minimumRemainingShelfLifeMonths, consortiumID: consortium.id, on: delivery.receivedOn, connection: connection)
            let problems = ProcurementRules.deliveryProblems(
                ordered: line.quantity, alreadyReceived: line.receivedQuantity, quantity: delivery.quantity,
                expiry: delivery.expiryDate, receivedOn: delivery.receivedOn, minimumShelfLifeMonths: months)
            let exception = try OrderRules.acceptedException(problems: problems, exceptionReason: delivery.exceptionReason)
            try await connection.run(
                """
                INSERT INTO deliveries (consortium_id, order_id, line_no, lot_number, expiry_date, quantity, received_on,
                                        exception_reason, recorded_by)
                VALUES (\(consortium.id), \(orderID), \(line.lineNo), \(delivery.lotNumber), \(delivery.expiryDate.description)::date,
                        \(delivery.quantity), \(delivery.receivedOn.description)::date, \(exception),
                        \(principal.tokenID))
                """, logger: logger)
            try await connection.run(
                """
                UPDATE purchase_order_lines SET received_quantity = received_quantity + \(delivery.quantity)
                WHERE consortium_id = \(consortium.id) AND order_id = \(orderID) AND line_no = \(line.lineNo)
                """, logger: logger)
            var lines = before.lines
            if let i = lines.firstIndex(where: { $0.lineNo == line.lineNo }) { lines[i].receivedQuantity += delivery.quantity }
            let status = ProcurementRules.statusAfterDelivery(lines: lines.map { ($0.quantity, $0.receivedQuantity) })
            try await connection.run(
                "UPDATE purchase_orders SET status = \(status.rawValue), updated_at = now() WHERE consortium_id = \(consortium.id) AND id = \(orderID)",
                logger: logger)
            let after = try await order(id: orderID, consortiumID: consortium.id, connection: connection)
            struct Record: Encodable {
                var orderID: Int64; var lineNo: Int; var lot: String; var expiry: String; var quantity: Decimal;
                var exception: String?
            }
            try await audit.record(
                on: connection, consortiumID: consortium.id, actor: Actor(principal), action: "receive",
                entityType: "delivery", entityKey: "\(orderID)/\(line.lineNo)/\(delivery.lotNumber)", before: Record?.none,
                after: Record(
                    orderID: orderID, lineNo: line.lineNo, lot: delivery.lotNumber, expiry: delivery.expiryDate.description,
                    quantity: delivery.quantity, exception: exception))
            return after
        }
    }
}
