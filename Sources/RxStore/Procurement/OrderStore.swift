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
    /// An emergency purchase (应急采购) answers this shortage, off the usual channel to `emergencySupplierCode`.
    package var emergencyShortageID: Int64? = nil
    package var emergencySupplierCode: String? = nil
}

/// Members' purchase orders at the unified price, their state moves, and deliveries by lot.
package struct OrderStore: SQLStore {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    // MARK: Reading

    /// An order with its lines; nil when the consortium has no such order. `lock`: its row is locked for update.
    package func order(id: Int64, consortiumID: Int64, connection: PostgresConnection, lock: Bool = false) async throws
        -> PurchaseOrder?
    {
        let query: PostgresQuery =
            lock
            ? """
            SELECT o.id, o.institution_id, i.code, o.status, o.order_date::text, o.emergency_shortage_id, es.code
            FROM purchase_orders o JOIN institutions i ON i.consortium_id = o.consortium_id AND i.id = o.institution_id
            LEFT JOIN suppliers es ON es.id = o.emergency_supplier_id
            WHERE o.consortium_id = \(consortiumID) AND o.id = \(id) FOR UPDATE OF o
            """
            : """
            SELECT o.id, o.institution_id, i.code, o.status, o.order_date::text, o.emergency_shortage_id, es.code
            FROM purchase_orders o JOIN institutions i ON i.consortium_id = o.consortium_id AND i.id = o.institution_id
            LEFT JOIN suppliers es ON es.id = o.emergency_supplier_id
            WHERE o.consortium_id = \(consortiumID) AND o.id = \(id)
            """
        guard
            let head = try await connection.row(
                query, as: (Int64, Int64, String, String, String, Int64?, String?).self, logger: logger)
        else { return nil }
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
            orderDate: BusinessDate(head.4)!, lines: lines, emergencyShortageID: head.5, emergencySupplierCode: head.6)
    }

    // MARK: Ordering

    /// The codes of the drugs in the member's catalogue in effect on `date`.
    package func catalogueDrugCodes(institution: Institution, on date: BusinessDate, connection: PostgresConnection)
        async throws -> Set<String>
    {
        try await MemberCatalogueStore(database: database).drugCodes(institution: institution, on: date, connection: connection)
    }

    /// The unified price in effect for a drug on `date`, if any.
    package func priceInEffect(consortiumID: Int64, drugCode: String, on date: BusinessDate, connection: PostgresConnection)
        async throws -> PriceAgreement?
    {
        try await PriceStore(database: database).inEffect(
            consortiumID: consortiumID, drugCode: drugCode, on: date, connection: connection)
    }

    /// Inserts an order's head and lines (numbered from 1); returns its id, nil when the row was not created.
    package func insertOrder(
        institution: Institution, lines: [(line: OrderLineRequest, price: PriceAgreement)], orderDate: BusinessDate,
        createdBy tokenID: Int64?, on connection: PostgresConnection
    ) async throws -> Int64? {
        guard
            let id = try await connection.row(
                """
                INSERT INTO purchase_orders (consortium_id, institution_id, order_date, created_by)
                VALUES (\(institution.consortiumID), \(institution.id), \(orderDate.description)::date, \(tokenID))
                RETURNING id
                """, as: Int64.self, logger: logger)
        else { return nil }
        for (index, (line, price)) in lines.enumerated() {
            try await insertLine(
                orderID: id, consortiumID: institution.consortiumID, lineNo: index + 1, drugCode: line.drugCode,
                quantity: line.quantity, price: price, on: connection)
        }
        return id
    }

    /// Inserts one order line at its unified price.
    package func insertLine(
        orderID: Int64, consortiumID: Int64, lineNo: Int, drugCode: String, quantity: Decimal, price: PriceAgreement,
        on connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            INSERT INTO purchase_order_lines (consortium_id, order_id, line_no, drug_code, quantity, quantity_unit,
                                              unit_price, price_agreement_id)
            VALUES (\(consortiumID), \(orderID), \(lineNo), \(drugCode), \(quantity), \(price.priceUnit.rawValue),
                    \(price.unitPrice.amount), \(price.id))
            """, logger: logger)
    }

    /// Flags an order as the emergency purchase (应急采购) of a shortage, to a supplier off the usual channel.
    package func flagEmergency(
        orderID: Int64, shortageID: Int64, supplierID: Int64, consortiumID: Int64, on connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            UPDATE purchase_orders SET emergency_shortage_id = \(shortageID), emergency_supplier_id = \(supplierID)
            WHERE consortium_id = \(consortiumID) AND id = \(orderID)
            """, logger: logger)
    }

    /// Sets an order's state; submitting it stamps the business date of its submission (`submitted_on`, sql/027:
    /// a late delivery counts from it).
    package func setStatus(
        _ status: OrderStatus, orderID: Int64, consortiumID: Int64, submittedOn: BusinessDate? = nil,
        on connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            UPDATE purchase_orders SET status = \(status.rawValue), updated_at = now(),
                   submitted_on = coalesce(\(submittedOn?.description)::date, submitted_on)
            WHERE consortium_id = \(consortiumID) AND id = \(orderID)
            """, logger: logger)
    }

    // MARK: Receiving

    package struct DeliveryRequest: Sendable {
        package var lineNo: Int
        package var lotNumber: String
        package var expiryDate: BusinessDate
        package var quantity: Decimal
        package var receivedOn: BusinessDate
        package var exceptionReason: String?
        /// 药品追溯码 scanned at the receipt, one per package.
        package var traceabilityCodes: [String]
        package init(
            lineNo: Int, lotNumber: String, expiryDate: BusinessDate, quantity: Decimal, receivedOn: BusinessDate,
            exceptionReason: String?, traceabilityCodes: [String] = []
        ) {
            self.lineNo = lineNo
            self.lotNumber = lotNumber
            self.expiryDate = expiryDate
            self.quantity = quantity
            self.receivedOn = receivedOn
            self.exceptionReason = exceptionReason
            self.traceabilityCodes = traceabilityCodes
        }
    }

    /// The failures of the lead's lab rejection of a lot, nil when the lot was not rejected.
    package func rejectedLotFailures(
        consortiumID: Int64, drugCode: String, lotNumber: String, on connection: PostgresConnection
    ) async throws -> [String]? {
        try await connection.row(
            """
            SELECT failures FROM herb_inspections WHERE consortium_id = \(consortiumID) AND drug_code = \(drugCode)
              AND lot_key = lot_key(\(lotNumber)) AND result = 'rejected'
            """, as: [String].self, logger: logger)
    }

    /// Records a delivery by lot on an order line and adds its quantity to the line's received quantity.
    package func insertDelivery(
        orderID: Int64, lineNo: Int, _ delivery: DeliveryRequest, exception: String?, consortiumID: Int64,
        recordedBy tokenID: Int64?, on connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            INSERT INTO deliveries (consortium_id, order_id, line_no, lot_number, expiry_date, quantity, received_on,
                                    exception_reason, recorded_by)
            VALUES (\(consortiumID), \(orderID), \(lineNo), \(delivery.lotNumber), \(delivery.expiryDate.description)::date,
                    \(delivery.quantity), \(delivery.receivedOn.description)::date, \(exception),
                    \(tokenID))
            """, logger: logger)
        try await connection.run(
            """
            UPDATE purchase_order_lines SET received_quantity = received_quantity + \(delivery.quantity)
            WHERE consortium_id = \(consortiumID) AND order_id = \(orderID) AND line_no = \(lineNo)
            """, logger: logger)
    }
}
