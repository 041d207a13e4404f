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
    /// (`institutionID` or `institutionCode`) or of all, optionally only those in one state. A row an order, its
    /// lines in an array of records (`pageColumns`); the emergency supplier's code and the lines are looked up for
    /// the page's orders only: the supplier joined, its hash lost the member index's order, and every order of the
    /// member was read and sorted for each page. A member's page in every state, the page its HIS polls, is a
    /// statement prepared once per connection (`MemberOrdersPageStatement`).
    package func orders(
        consortiumID: Int64, institutionID: Int64?, institutionCode: String? = nil, status: OrderStatus?, page: PageRequest,
        connection: PostgresConnection
    ) async throws -> Page<PurchaseOrder> {
        let after = page.afterID
        if let institutionID, institutionCode == nil, status == nil {
            return try await memberOrders(
                consortiumID: consortiumID, institutionID: institutionID, page: page, connection: connection
            ).page
        }
        let rows = try await connection.stream(
            """
            SELECT \(unescaped: Self.pageColumns)
            FROM purchase_orders o JOIN institutions i ON i.consortium_id = o.consortium_id AND i.id = o.institution_id
            WHERE o.consortium_id = \(consortiumID) AND o.id > \(after)
              AND (\(institutionID)::bigint IS NULL OR o.institution_id = \(institutionID))
              AND (\(institutionCode)::text IS NULL OR i.code = \(institutionCode))
              AND (\(status?.rawValue)::text IS NULL OR o.status = \(status?.rawValue))
            ORDER BY o.id LIMIT \(page.limit + 1)
            """, logger: logger)
        return Page(rows: try await Self.orders(rows), limit: page.limit, key: { String($0.id) })
    }

    /// A member's orders page in every state (`MemberOrdersPageStatement`), with the member's orders' stamp
    /// (`member_order_stamps`) read by the same statement, so the page is what the stamp stands for. The stamp is nil
    /// when the page has no order (the statement returns no row) or the member has no stamp.
    package func memberOrders(
        consortiumID: Int64, institutionID: Int64, page: PageRequest, connection: PostgresConnection
    ) async throws -> (page: Page<PurchaseOrder>, stamp: Int64?) {
        let statement = MemberOrdersPageStatement<BoundPageRows>(
            consortiumID: consortiumID, institutionID: institutionID, after: page.afterID, limit: page.limit + 1)
        let rows =
            switch statement.limit {
            case PageRows21.rows: try await connection.stream(statement.with(PageRows21.self), logger: logger)
            case PageRows51.rows: try await connection.stream(statement.with(PageRows51.self), logger: logger)
            case PageRows201.rows: try await connection.stream(statement.with(PageRows201.self), logger: logger)
            default: try await connection.stream(statement, logger: logger)
            }
        var stamp: Int64?
        let orders = try await Self.orders(rows) { stamp = try $0.next() }
        return (Page(rows: orders, limit: page.limit, key: { String($0.id) }), stamp)
    }

    /// The columns of an orders page's rows, of `purchase_orders o` joined to `institutions i`: the order's, then its
    /// lines as an array of records (empty for an order with none), read by `orders(_:)`.
    static let pageColumns = """
        o.id, o.institution_id, i.code, o.status, o.order_date::text, o.emergency_shortage_id,
        (SELECT es.code FROM suppliers es WHERE es.id = o.emergency_supplier_id),
        ARRAY(SELECT ROW(l.line_no, l.drug_code, l.quantity, l.quantity_unit, l.unit_price, l.price_agreement_id,
                         l.consolidated_order_id, l.received_quantity)
              FROM purchase_order_lines l WHERE l.consortium_id = o.consortium_id AND l.order_id = o.id
              ORDER BY l.line_no)
        """

    /// The orders of a page's rows (`pageColumns`), each with its lines; `rest` reads the columns after them, if any.
    static func orders(
        _ rows: some AsyncSequence<PostgresRow, any Error>, rest: (inout RowReader) throws -> Void = { _ in }
    ) async throws -> [PurchaseOrder] {
        var orders: [PurchaseOrder] = []
        for try await row in rows {
            var r = RowReader(row)
            var order = PurchaseOrder(
                id: try r.next(), institutionID: try r.next(), institutionCode: try r.next(),
                status: try decodeEnum(try r.next(String.self)), orderDate: BusinessDate(try r.next(String.self))!,
                lines: [], emergencyShortageID: try r.next(), emergencySupplierCode: try r.next())
            let lines = try r.nextRecords()
            order.lines.reserveCapacity(lines.count)
            for var line in lines {
                order.lines.append(
                    PurchaseOrderLine(
                        lineNo: try line.next(), drugCode: try line.next(), quantity: try line.next(),
                        quantityUnit: try decodeEnum(try line.next(String.self)),
                        unitPrice: Money(try line.next(Decimal.self)), priceAgreementID: try line.next(),
                        consolidatedOrderID: try line.next(), receivedQuantity: try line.next()))
            }
            orders.append(order)
            try rest(&r)
        }
        return orders
    }

    /// A member's orders page in every state (`memberOrders`), prepared once per connection, its rows ending with the
    /// member's orders' stamp; `Rows` writes the page's row limit into it (`PageRowsLimit`).
    struct MemberOrdersPageStatement<Rows: PageRowsLimit>: PostgresPreparedStatement {
        static var sql: String { Rows.memberOrdersSQL }
        static var name: String { "OrderStore.MemberOrdersPage<\(Rows.self)>" }

        /// The same statement with the limit written in.
        func with<Fixed: PageRowsLimit>(_: Fixed.Type) -> MemberOrdersPageStatement<Fixed> {
            .init(consortiumID: consortiumID, institutionID: institutionID, after: after, limit: limit)
        }

        /// The statement with `limit` rows at most, or with the limit bound as `$4` (nil).
        static func sql(limit: Int?) -> String {
            let limitText = limit.map { "\($0)" } ?? "$4"
            // A written-in limit still checks `$4`, so every variant takes the same bindings.
            let check = limit.map { "AND $4 = \($0)" } ?? ""
            return """
                SELECT \(pageColumns),
                       (SELECT s.stamp FROM member_order_stamps s WHERE s.consortium_id = $1 AND s.institution_id = $2)
                FROM purchase_orders o JOIN institutions i ON i.consortium_id = o.consortium_id AND i.id = o.institution_id
                WHERE o.consortium_id = $1 AND o.institution_id = $2 AND o.id > $3 \(check)
                ORDER BY o.id LIMIT \(limitText)
                """
        }
        static var bindingDataTypes: [PostgresDataType] { [.int8, .int8, .int8, .int8] }
        typealias Row = PostgresRow
        var consortiumID: Int64
        var institutionID: Int64
        var after: Int64
        var limit: Int

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 4)
            bindings.append(consortiumID)
            bindings.append(institutionID)
            bindings.append(after)
            bindings.append(Int64(limit))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { row }
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
        let after = page.afterID
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

/// A member with its consortium and its orders' stamp (`member_order_stamps`): what a member's orders page reads on
/// every request, in one statement (`OrderStore.memberWithOrderStamp`).
package struct MemberOrderStamp: Sendable {
    package var institution: Institution
    package var consortium: Consortium
    /// Drawn afresh by every statement that writes the member's orders or their lines; nil when the member has none
    /// (its orders were loaded behind the triggers, 053_member_order_stamps_everywhere.sql).
    package var stamp: Int64?
}

extension OrderStore {
    /// The member `code` of the consortium with its consortium and its orders' stamp; nil when there is no such
    /// member.
    package func memberWithOrderStamp(code: String, consortiumID: Int64) async throws -> MemberOrderStamp? {
        guard
            let r = try await database.read({
                try await $0.row(MemberWithOrderStamp(consortiumID: consortiumID, code: code), logger: logger)
            })
        else { return nil }
        let (institution, consortium) = try InstitutionStore.withConsortium(
            (r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11))
        return MemberOrderStamp(institution: institution, consortium: consortium, stamp: r.12)
    }

    /// `memberWithOrderStamp`'s statement, prepared once per connection: `InstitutionWithConsortium`'s twelve columns
    /// and the stamp.
    struct MemberWithOrderStamp: PostgresPreparedStatement {
        static let sql = """
            SELECT \(InstitutionStore.InstitutionWithConsortium.columns),
                   (SELECT s.stamp FROM member_order_stamps s WHERE s.consortium_id = i.consortium_id AND s.institution_id = i.id)
            FROM \(InstitutionStore.InstitutionWithConsortium.tables)
            WHERE i.consortium_id = $1 AND i.code = $2
            """
        typealias Row = (Int64, Int64, String, String, String, String, String, Bool, Bool, String, String, String?, Int64?)
        var consortiumID: Int64
        var code: String

        func makeBindings() throws -> PostgresBindings {
            try InstitutionStore.InstitutionWithConsortium(consortiumID: consortiumID, code: code).makeBindings()
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }
}
