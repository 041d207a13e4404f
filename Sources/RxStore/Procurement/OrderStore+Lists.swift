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
    /// A page of orders, oldest first (keyed by id), with their lines, in one statement; of one member
    /// (`institutionID` or `institutionCode`) or of all, optionally only those in one state. The page's orders are
    /// chosen first and their lines joined after (one row a line, the order's columns repeated); the emergency
    /// supplier's code is looked up per order of the page: joined, its hash lost the member index's order, and every
    /// order of the member was read and sorted for each page.
    package func orders(
        consortiumID: Int64, institutionID: Int64?, institutionCode: String? = nil, status: OrderStatus?, page: PageRequest,
        connection: PostgresConnection
    ) async throws -> Page<PurchaseOrder> {
        let after = page.after.flatMap(Int64.init) ?? 0
        let rows = try await connection.stream(
            """
            WITH page AS (
                SELECT o.id, o.institution_id, i.code, o.status, o.order_date, o.emergency_shortage_id,
                       (SELECT es.code FROM suppliers es WHERE es.id = o.emergency_supplier_id) AS supplier_code
                FROM purchase_orders o JOIN institutions i ON i.consortium_id = o.consortium_id AND i.id = o.institution_id
                WHERE o.consortium_id = \(consortiumID) AND o.id > \(after)
                  AND (\(institutionID)::bigint IS NULL OR o.institution_id = \(institutionID))
                  AND (\(institutionCode)::text IS NULL OR i.code = \(institutionCode))
                  AND (\(status?.rawValue)::text IS NULL OR o.status = \(status?.rawValue))
                ORDER BY o.id LIMIT \(page.limit + 1)
            )
            SELECT p.id, p.institution_id, p.code, p.status, p.order_date::text, p.emergency_shortage_id, p.supplier_code,
                   l.line_no, l.drug_code, l.quantity, l.quantity_unit, l.unit_price, l.price_agreement_id,
                   l.consolidated_order_id, l.received_quantity
            FROM page p LEFT JOIN purchase_order_lines l ON l.consortium_id = \(consortiumID) AND l.order_id = p.id
            ORDER BY p.id, l.line_no
            """, logger: logger)
        var orders: [PurchaseOrder] = []
        for try await row in rows {
            var r = RowReader(row)
            let id = try r.next(Int64.self)
            if orders.last?.id == id {
                r.skip(6)
            } else {
                orders.append(
                    PurchaseOrder(
                        id: id, institutionID: try r.next(), institutionCode: try r.next(),
                        status: try decodeEnum(try r.next(String.self)), orderDate: BusinessDate(try r.next(String.self))!,
                        lines: [], emergencyShortageID: try r.next(), emergencySupplierCode: try r.next()))
            }
            guard let lineNo = try r.next(Int?.self) else { continue }
            orders[orders.count - 1].lines.append(
                PurchaseOrderLine(
                    lineNo: lineNo, drugCode: try r.next(), quantity: try r.next(),
                    quantityUnit: try decodeEnum(try r.next(String.self)), unitPrice: Money(try r.next(Decimal.self)),
                    priceAgreementID: try r.next(), consolidatedOrderID: try r.next(), receivedQuantity: try r.next()))
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
