import Foundation
import PostgresNIO
import RxDomain

/// A lot received on an order line (a delivery).
package struct DeliveredLot: Sendable, Equatable {
    package var deliveryID: Int64
    package var lineNo: Int
    package var drugCode: String
    package var lotNumber: String
    package var expiryDate: BusinessDate
    package var quantity: Decimal
    package var receivedOn: BusinessDate
    package var exceptionReason: String?
}

extension OrderStore {
    /// A page of orders, oldest first (keyed by id), with their lines read in one more query; of one member
    /// (`institutionID` or `institutionCode`) or of all, optionally only those in one state. The emergency supplier's
    /// code is looked up per order of the page: joined, its hash lost the member index's order, and every order of
    /// the member was read and sorted for each page.
    package func orders(
        consortiumID: Int64, institutionID: Int64?, institutionCode: String? = nil, status: OrderStatus?, page: PageRequest,
        connection: PostgresConnection
    ) async throws -> Page<PurchaseOrder> {
        let after = page.after.flatMap(Int64.init) ?? 0
        let heads = try await connection.rows(
            """
            SELECT o.id, o.institution_id, i.code, o.status, o.order_date::text, o.emergency_shortage_id,
                   (SELECT es.code FROM suppliers es WHERE es.id = o.emergency_supplier_id)
            FROM purchase_orders o JOIN institutions i ON i.consortium_id = o.consortium_id AND i.id = o.institution_id
            WHERE o.consortium_id = \(consortiumID) AND o.id > \(after)
              AND (\(institutionID)::bigint IS NULL OR o.institution_id = \(institutionID))
              AND (\(institutionCode)::text IS NULL OR i.code = \(institutionCode))
              AND (\(status?.rawValue)::text IS NULL OR o.status = \(status?.rawValue))
            ORDER BY o.id LIMIT \(page.limit + 1)
            """, logger: logger
        ) { r in
            PurchaseOrder(
                id: try r.next(), institutionID: try r.next(), institutionCode: try r.next(),
                status: try decodeEnum(try r.next(String.self)), orderDate: BusinessDate(try r.next(String.self))!, lines: [],
                emergencyShortageID: try r.next(), emergencySupplierCode: try r.next())
        }
        let lines = try await connection.rows(
            """
            SELECT order_id, line_no, drug_code, quantity, quantity_unit, unit_price, price_agreement_id, consolidated_order_id,
                   received_quantity
            FROM purchase_order_lines WHERE consortium_id = \(consortiumID) AND order_id = ANY(\(heads.map(\.id)))
            ORDER BY order_id, line_no
            """, logger: logger
        ) { r in
            (
                orderID: try r.next(Int64.self),
                line: PurchaseOrderLine(
                    lineNo: try r.next(), drugCode: try r.next(), quantity: try r.next(),
                    quantityUnit: try decodeEnum(try r.next(String.self)), unitPrice: Money(try r.next(Decimal.self)),
                    priceAgreementID: try r.next(), consolidatedOrderID: try r.next(), receivedQuantity: try r.next())
            )
        }
        var byOrder: [Int64: [PurchaseOrderLine]] = [:]
        for l in lines { byOrder[l.orderID, default: []].append(l.line) }
        let orders = heads.map { h in
            var order = h
            order.lines = byOrder[h.id] ?? []
            return order
        }
        return Page(rows: orders, limit: page.limit, key: { String($0.id) })
    }

    /// The member an order belongs to; nil when the consortium has no such order.
    package func orderInstitutionID(orderID: Int64, consortiumID: Int64, on connection: PostgresConnection) async throws
        -> Int64?
    {
        try await connection.row(
            "SELECT institution_id FROM purchase_orders WHERE consortium_id = \(consortiumID) AND id = \(orderID)",
            as: Int64.self, logger: logger)
    }

    /// The lots received on an order, in the order they were recorded, optionally on one line or of one lot.
    package func lots(
        orderID: Int64, lineNo: Int?, lotNumber: String?, consortiumID: Int64, page: PageRequest,
        on connection: PostgresConnection
    ) async throws -> Page<DeliveredLot> {
        let after = page.after.flatMap(Int64.init) ?? 0
        let rows = try await connection.rows(
            """
            SELECT d.id, d.line_no, l.drug_code, d.lot_number, d.expiry_date::text, d.quantity, d.received_on::text,
                   d.exception_reason
            FROM deliveries d
            JOIN purchase_order_lines l ON l.consortium_id = d.consortium_id AND l.order_id = d.order_id AND l.line_no = d.line_no
            WHERE d.consortium_id = \(consortiumID) AND d.order_id = \(orderID) AND d.id > \(after)
              AND (\(lineNo)::int IS NULL OR d.line_no = \(lineNo))
              AND (\(lotNumber)::text IS NULL OR d.lot_key = lot_key(\(lotNumber)))
            ORDER BY d.id LIMIT \(page.limit + 1)
            """, as: (Int64, Int, String, String, String, Decimal, String, String?).self, logger: logger)
        return Page(
            rows: rows.map {
                DeliveredLot(
                    deliveryID: $0.0, lineNo: $0.1, drugCode: $0.2, lotNumber: $0.3, expiryDate: BusinessDate($0.4)!,
                    quantity: $0.5, receivedOn: BusinessDate($0.6)!, exceptionReason: $0.7)
            }, limit: page.limit, key: { String($0.deliveryID) })
    }
}
