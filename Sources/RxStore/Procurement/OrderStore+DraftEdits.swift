import Foundation
import PostgresNIO
import RxDomain

extension OrderStore {
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
            let before = try await order(id: orderID, consortiumID: consortium.id, connection: connection, lock: true)
            guard
                principal.may(
                    .readOrders(
                        consortiumID: consortium.id, institutionID: before.institutionID,
                        leadInstitutionCode: consortium.leadInstitutionCode))
            else { throw DomainError.notFound("no order \(orderID)") }
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
                try await connection.run(
                    """
                    INSERT INTO purchase_order_lines (consortium_id, order_id, line_no, drug_code, quantity, quantity_unit,
                                                      unit_price, price_agreement_id)
                    VALUES (\(consortium.id), \(orderID), \(lineNo), \(drugCode), \(quantity), \(price.priceUnit.rawValue),
                            \(price.unitPrice.amount), \(price.id))
                    """, logger: logger)
            case .changeQuantity(let number, let quantity):
                lineNo = number
                try await connection.run(
                    """
                    UPDATE purchase_order_lines SET quantity = \(quantity)
                    WHERE consortium_id = \(consortium.id) AND order_id = \(orderID) AND line_no = \(number)
                    """, logger: logger)
            case .remove(let number):
                lineNo = number
                try await connection.run(
                    """
                    DELETE FROM purchase_order_lines
                    WHERE consortium_id = \(consortium.id) AND order_id = \(orderID) AND line_no = \(number)
                    """, logger: logger)
            }
            try await connection.run(
                "UPDATE purchase_orders SET updated_at = now() WHERE consortium_id = \(consortium.id) AND id = \(orderID)",
                logger: logger)
            let after = try await order(id: orderID, consortiumID: consortium.id, connection: connection)
            struct Record: Encodable { var line: PurchaseOrderLine?; var reason: String? }
            try await audit.record(
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
        connection: PostgresConnection
    ) async throws -> PriceAgreement {
        guard let institution = try await InstitutionStore(database: database).find(code: institutionCode, on: connection)
        else { throw DomainError.notFound("no institution \(institutionCode)") }
        let catalogue = try await MemberCatalogueStore(database: database).get(
            institution: institution, on: orderDate, connection: connection)
        let inCatalogue = catalogue.drugs.contains(where: { $0.code == drugCode })
        let price =
            inCatalogue
            ? try await PriceStore(database: database).inEffect(
                consortiumID: consortiumID, drugCode: drugCode, on: orderDate, connection: connection)
            : nil
        return try OrderRules.addedLinePrice(
            price, drugCode: drugCode, inCatalogue: inCatalogue, institutionCode: institutionCode, orderDate: orderDate)
    }
}
