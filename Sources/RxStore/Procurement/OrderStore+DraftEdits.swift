import Foundation
import PostgresNIO
import RxDomain

extension OrderStore {
    /// A member of the consortium by code, read in the edit's transaction.
    package func institution(code: String, consortiumID: Int64, on connection: PostgresConnection) async throws
        -> Institution?
    {
        try await InstitutionStore(database: database).find(code: code, consortiumID: consortiumID, on: connection)
    }

    /// Changes a draft line's quantity.
    package func updateLineQuantity(
        orderID: Int64, lineNo: Int, quantity: Decimal, consortiumID: Int64, on connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            UPDATE purchase_order_lines SET quantity = \(quantity)
            WHERE consortium_id = \(consortiumID) AND order_id = \(orderID) AND line_no = \(lineNo)
            """, logger: logger)
    }

    /// Removes a draft line.
    package func deleteLine(orderID: Int64, lineNo: Int, consortiumID: Int64, on connection: PostgresConnection)
        async throws
    {
        try await connection.run(
            """
            DELETE FROM purchase_order_lines
            WHERE consortium_id = \(consortiumID) AND order_id = \(orderID) AND line_no = \(lineNo)
            """, logger: logger)
    }

    /// Marks an order as changed now.
    package func touch(orderID: Int64, consortiumID: Int64, on connection: PostgresConnection) async throws {
        try await connection.run(
            "UPDATE purchase_orders SET updated_at = now() WHERE consortium_id = \(consortiumID) AND id = \(orderID)",
            logger: logger)
    }
}
