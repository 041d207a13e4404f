import NIOCore
import RxDomain

extension Components.Schemas.SpendReport {
    /// The report as compact JSON (`DirectGetRoute.spendReport`), members in the contract's order.
    var json: ByteBuffer {
        var writer = JSONText(capacity: 256 + 96 * rows.count)
        writer.object { writer in
            writer.member("from", from)
            writer.member("to", to)
            writer.member("total", total)
            writer.member("essentialShare", essentialShare)
            writer.member("insuredShare", insuredShare)
            writer.member("tcmShare", tcmShare)
            writer.key("rows")
            writer.array(rows) { writer, row in
                writer.object { writer in
                    writer.member("institutionCode", row.institutionCode)
                    writer.member("drugCode", row.drugCode)
                    writer.member("month", row.month)
                    writer.member("amount", row.amount)
                }
            }
        }
        return ByteBuffer(bytes: writer.bytes)
    }
}
