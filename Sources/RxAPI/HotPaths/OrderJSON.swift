import NIOCore
import RxDomain
import RxStore

extension Components.Schemas.PurchaseOrder {
    /// The order as compact JSON, members in the contract's order, absent ones left out as `JSONEncoder` does.
    func write(to writer: inout JSONText) {
        writer.object { writer in
            writer.member("id", id)
            writer.member("institutionCode", institutionCode)
            writer.member("status", status.rawValue)
            writer.member("orderDate", orderDate)
            writer.key("lines")
            writer.array(lines) { writer, line in
                writer.object { writer in
                    writer.member("lineNo", line.lineNo)
                    writer.member("drugCode", line.drugCode)
                    writer.member("quantity", line.quantity)
                    writer.member("quantityUnit", line.quantityUnit.rawValue)
                    writer.member("unitPrice", line.unitPrice)
                    if let consolidatedOrderId = line.consolidatedOrderId {
                        writer.member("consolidatedOrderId", consolidatedOrderId)
                    }
                    writer.member("receivedQuantity", line.receivedQuantity)
                }
            }
            if let emergencyShortageId { writer.member("emergencyShortageId", emergencyShortageId) }
            if let emergencySupplierCode { writer.member("emergencySupplierCode", emergencySupplierCode) }
        }
    }
}

extension Operations.ListOrders.Output.Ok.Body.JsonPayload {
    init(_ page: Page<PurchaseOrder>) throws {
        self.init(items: try page.items.map(Components.Schemas.PurchaseOrder.init), nextCursor: page.nextCursor)
    }

    /// The page as compact JSON (`DirectGetRoute.memberOrders`).
    var json: ByteBuffer {
        var writer = JSONText(capacity: 64 + items.reduce(0) { $0 + 160 + 200 * $1.lines.count })
        writer.object { writer in
            writer.key("items")
            writer.array(items) { writer, order in order.write(to: &writer) }
            if let nextCursor { writer.member("nextCursor", nextCursor) }
        }
        return ByteBuffer(bytes: writer.bytes)
    }
}
