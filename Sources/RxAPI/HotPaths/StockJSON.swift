import NIOCore
import RxDomain

extension Components.Schemas.StockLine {
    /// The lot as compact JSON, members in the contract's order, absent ones left out as `JSONEncoder` does.
    func write(to writer: inout JSONText) {
        writer.object { writer in
            writer.member("institutionCode", institutionCode)
            if let locationCode { writer.member("locationCode", locationCode) }
            writer.member("drugCode", drugCode)
            writer.member("genericName", genericName)
            writer.member("unit", unit)
            writer.member("lotNumber", lotNumber)
            writer.member("expiryDate", expiryDate)
            writer.member("quantity", quantity)
            writer.member("expiryClass", expiryClass.rawValue)
            writer.member("issueability", issueability.rawValue)
            if let block { writer.member("block", block.rawValue) }
        }
    }
}

extension Operations.ListInstitutionStock.Output.Ok.Body.JsonPayload {
    /// The page as compact JSON (`DirectGetRoute.memberStock`).
    var json: ByteBuffer {
        var writer = JSONText(capacity: 128 + 320 * items.count)
        writer.object { writer in
            writer.member("asOf", asOf)
            writer.key("items")
            writer.array(items) { writer, line in line.write(to: &writer) }
            if let nextCursor { writer.member("nextCursor", nextCursor) }
        }
        return ByteBuffer(bytes: writer.bytes)
    }
}

extension Components.Schemas.DrugStock {
    /// The drug across the consortium as compact JSON (`DirectGetRoute.drugStock`).
    var json: ByteBuffer {
        var writer = JSONText(capacity: 256 + 64 * members.count + 320 * lots.count)
        writer.object { writer in
            writer.member("drugCode", drugCode)
            writer.member("asOf", asOf)
            writer.member("total", total)
            writer.key("members")
            writer.array(members) { writer, member in
                writer.object { writer in
                    writer.member("institutionCode", member.institutionCode)
                    writer.member("quantity", member.quantity)
                }
            }
            writer.key("lots")
            writer.array(lots) { writer, line in line.write(to: &writer) }
        }
        return ByteBuffer(bytes: writer.bytes)
    }
}
