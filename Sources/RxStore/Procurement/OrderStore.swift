import Crypto
import Foundation
import Logging
import PostgresNIO
import RxDomain

public struct PurchaseOrderLine: Sendable, Equatable, Encodable {
    public var lineNo: Int
    public var drugCode: String
    public var quantity: Decimal
    public var quantityUnit: PriceUnit
    public var unitPrice: Money
    public var priceAgreementID: Int64
    public var consolidatedOrderID: Int64?
    public var receivedQuantity: Decimal
}

public struct PurchaseOrder: Sendable, Equatable, Encodable {
    public var id: Int64
    public var institutionID: Int64
    public var institutionCode: String
    public var status: OrderStatus
    public var orderDate: BusinessDate
    public var lines: [PurchaseOrderLine]
}

public struct OrderLineRequest: Sendable, Equatable, Codable {
    public var drugCode: String
    /// In the unit the unified price is given in (a package, or the drug's own unit).
    public var quantity: Decimal
    public init(drugCode: String, quantity: Decimal) {
        self.drugCode = drugCode
        self.quantity = quantity
    }
}

/// Members' purchase orders at the unified price, their state moves, and deliveries by lot.
public struct OrderStore: SQLStore {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    // MARK: Reading

    func order(id: Int64, consortiumID: Int64, connection: PostgresConnection, lock: Bool = false) async throws -> PurchaseOrder {
        let query: PostgresQuery = lock
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

    public func order(id: Int64, consortium: Consortium, by principal: Principal) async throws -> PurchaseOrder {
        let order = try await database.read { try await self.order(id: id, consortiumID: consortium.id, connection: $0) }
        guard principal.may(.readOrders(consortiumID: consortium.id, institutionID: order.institutionID, leadInstitutionCode: consortium.leadInstitutionCode)) else {
            throw DomainError.notFound("no order \(id)")
        }
        return order
    }

    /// A member's orders, oldest first, optionally only those in one state.
    public func list(
        institution: Institution, consortium: Consortium, status: OrderStatus? = nil, by principal: Principal, page: PageRequest
    ) async throws -> Page<PurchaseOrder> {
        guard principal.may(.readOrders(consortiumID: consortium.id, institutionID: institution.id, leadInstitutionCode: consortium.leadInstitutionCode)) else {
            throw DomainError.forbidden("a member sees only its own orders")
        }
        return try await database.read {
            try await orders(consortiumID: consortium.id, institutionID: institution.id, status: status, page: page, connection: $0)
        }
    }

    // MARK: Ordering

    /// Raises an order at the unified prices in effect today. Every drug must be in the member's catalogue in effect
    /// and have a unified price; otherwise 422 names each offending line. With an idempotency key, a retry returns
    /// the first order and creates nothing; the same key with another body is 422.
    public func create(
        institution: Institution, lines: [OrderLineRequest], idempotencyKey: String?, today: BusinessDate,
        by principal: Principal
    ) async throws -> (order: PurchaseOrder, replayed: Bool) {
        try principal.require(.raiseOrder(consortiumID: institution.consortiumID, institutionID: institution.id))
        guard !lines.isEmpty else { throw DomainError.invalid("lines", "an order has at least one line") }
        for (i, line) in lines.enumerated() where line.quantity <= 0 {
            throw DomainError.invalid("lines[\(i)].quantity", "must be positive")
        }
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
                    guard let stored = try await connection.row(
                        """
                        SELECT request_hash, (response_body->>'orderId')::bigint FROM idempotency_keys
                        WHERE consortium_id = \(institution.consortiumID) AND token_id = \(tokenID) AND key = \(key)
                          AND operation = 'create_order'
                        """, as: (Data, Int64?).self, logger: logger)
                    else { throw DomainError.conflict("the idempotency key is in use; retry") }
                    guard stored.0 == requestHash, let orderID = stored.1 else {
                        throw DomainError.invalid("Idempotency-Key", "was used for a different order; use a new key")
                    }
                    return (try await order(id: orderID, consortiumID: institution.consortiumID, connection: connection), true)
                }
            }
            let created = try await insertOrder(institution: institution, lines: lines, today: today, principal: principal, connection: connection)
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
        institution: Institution, lines: [OrderLineRequest], today: BusinessDate, principal: Principal, connection: PostgresConnection
    ) async throws -> PurchaseOrder {
        let catalogue = try await MemberCatalogueStore(database: database).get(institution: institution, on: today, connection: connection)
        let held = Set(catalogue.drugs.map(\.code))
        let prices = PriceStore(database: database)
        var problems: [FieldError] = []
        var priced: [(OrderLineRequest, PriceAgreement)] = []
        for (i, line) in lines.enumerated() {
            guard held.contains(line.drugCode) else {
                problems.append(FieldError(field: "lines[\(i)].drugCode", reason: "\(line.drugCode) is not in \(institution.code)'s catalogue in effect"))
                continue
            }
            guard let price = try await prices.inEffect(consortiumID: institution.consortiumID, drugCode: line.drugCode, on: today, connection: connection) else {
                problems.append(FieldError(field: "lines[\(i)].drugCode", reason: "\(line.drugCode) has no unified price in effect on \(today)"))
                continue
            }
            priced.append((line, price))
        }
        guard problems.isEmpty else {
            throw DomainError.unprocessable("\(problems.count) line(s) cannot be ordered", problems)
        }
        guard let id = try await connection.row(
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
    public func move(id: Int64, action: OrderAction, consortium: Consortium, by principal: Principal) async throws -> PurchaseOrder {
        try await database.transaction { connection in
            let before = try await order(id: id, consortiumID: consortium.id, connection: connection, lock: true)
            guard principal.may(.readOrders(consortiumID: consortium.id, institutionID: before.institutionID, leadInstitutionCode: consortium.leadInstitutionCode)) else {
                throw DomainError.notFound("no order \(id)")
            }
            guard principal.may(.raiseOrder(consortiumID: consortium.id, institutionID: before.institutionID))
                || principal.may(.runSupplyCentre(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
            else { throw DomainError.forbidden("only the member's procurement officer or pharmacist, or the supply centre, moves an order") }
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

    public struct DeliveryRequest: Sendable {
        public var lineNo: Int
        public var lotNumber: String
        public var expiryDate: BusinessDate
        public var quantity: Decimal
        public var receivedOn: BusinessDate
        public var exceptionReason: String?
        public init(lineNo: Int, lotNumber: String, expiryDate: BusinessDate, quantity: Decimal, receivedOn: BusinessDate, exceptionReason: String?) {
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
    public func receive(
        orderID: Int64, _ delivery: DeliveryRequest, consortium: Consortium, today: BusinessDate = .today(), by principal: Principal
    ) async throws -> PurchaseOrder {
        guard delivery.quantity > 0 else { throw DomainError.invalid("quantity", "must be positive") }
        return try await database.transaction { connection in
            let before = try await order(id: orderID, consortiumID: consortium.id, connection: connection, lock: true)
            guard principal.may(.readOrders(consortiumID: consortium.id, institutionID: before.institutionID, leadInstitutionCode: consortium.leadInstitutionCode)) else {
                throw DomainError.notFound("no order \(orderID)")
            }
            try principal.require(.raiseOrder(consortiumID: consortium.id, institutionID: before.institutionID))
            guard before.status == .consolidated || before.status == .partlyReceived else {
                throw DomainError.conflict("an order that is \(before.status.rawValue) receives no deliveries")
            }
            guard let line = before.lines.first(where: { $0.lineNo == delivery.lineNo }) else {
                throw DomainError.invalid("lineNo", "order \(orderID) has no line \(delivery.lineNo)")
            }
            try delivery.receivedOn.requireHappened(
                field: "receivedOn", today: today, notBefore: (before.orderDate, "the date order \(orderID) was placed"))
            // A lot the lead's lab rejected (中药饮片联合带量采购) is blocked at every member.
            if let failures = try await connection.row(
                """
                SELECT failures FROM herb_inspections WHERE consortium_id = \(consortium.id) AND drug_code = \(line.drugCode)
                  AND lot_key = lot_key(\(delivery.lotNumber)) AND result = 'rejected'
                """, as: [String].self, logger: logger)
            {
                throw DomainError.invalid(
                    "lotNumber", "lot \(delivery.lotNumber) of \(line.drugCode) was rejected by the lead's lab and is blocked: \(failures.joined(separator: "; "))")
            }
            let months = try await Settings(logger: logger).required(
                .minimumRemainingShelfLifeMonths, consortiumID: consortium.id, on: delivery.receivedOn, connection: connection)
            let problems = ProcurementRules.deliveryProblems(
                ordered: line.quantity, alreadyReceived: line.receivedQuantity, quantity: delivery.quantity,
                expiry: delivery.expiryDate, receivedOn: delivery.receivedOn, minimumShelfLifeMonths: months)
            let exception = delivery.exceptionReason.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
            if !problems.isEmpty && exception == nil {
                throw DomainError.unprocessable(
                    "the delivery is refused: " + problems.map(\.reason).joined(separator: "; ")
                        + " (record it with an exceptionReason to accept it anyway)", problems)
            }
            try await connection.run(
                """
                INSERT INTO deliveries (consortium_id, order_id, line_no, lot_number, expiry_date, quantity, received_on,
                                        exception_reason, recorded_by)
                VALUES (\(consortium.id), \(orderID), \(line.lineNo), \(delivery.lotNumber), \(delivery.expiryDate.description)::date,
                        \(delivery.quantity), \(delivery.receivedOn.description)::date, \(problems.isEmpty ? nil : exception),
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
            struct Record: Encodable { var orderID: Int64; var lineNo: Int; var lot: String; var expiry: String; var quantity: Decimal; var exception: String? }
            try await audit.record(
                on: connection, consortiumID: consortium.id, actor: Actor(principal), action: "receive",
                entityType: "delivery", entityKey: "\(orderID)/\(line.lineNo)/\(delivery.lotNumber)", before: Record?.none,
                after: Record(orderID: orderID, lineNo: line.lineNo, lot: delivery.lotNumber, expiry: delivery.expiryDate.description,
                              quantity: delivery.quantity, exception: problems.isEmpty ? nil : exception))
            return after
        }
    }
}
