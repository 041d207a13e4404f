import PostgresNIO
import RxDomain

/// Rows in PostgreSQL COPY's text format (not CSV): columns separated by tabs, rows ended by a newline, NULL as
/// `\N`, and a backslash, tab, newline or carriage return inside a value escaped with a backslash. This is the
/// COPY data stream, not SQL: values are never part of a statement.
enum CopyText {
    static let tab: UInt8 = 0x09
    static let newline: UInt8 = 0x0A

    /// One value, escaped.
    static func append(_ value: String, to buffer: inout ByteBuffer) {
        var value = value
        value.withUTF8 { bytes in
            var start = 0
            for i in 0..<bytes.count {
                let escaped: UInt8
                switch bytes[i] {
                case 0x5C: escaped = 0x5C  // \ → \\
                case 0x09: escaped = UInt8(ascii: "t")
                case 0x0A: escaped = UInt8(ascii: "n")
                case 0x0D: escaped = UInt8(ascii: "r")
                default: continue
                }
                buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start..<i])))
                buffer.writeInteger(UInt8(0x5C))
                buffer.writeInteger(escaped)
                start = i + 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start..<bytes.count])))
        }
    }

    static func append(_ value: String?, to buffer: inout ByteBuffer) {
        if let value { append(value, to: &buffer) } else { buffer.writeStaticString("\\N") }
    }

    /// A line of an invoice file, in the order of `ReconcileInvoices.copyColumns`.
    static func append(_ line: InvoiceFileLine, to buffer: inout ByteBuffer) {
        buffer.writeString(String(line.lineNumber))
        for value in [line.distributorCode, line.invoiceNumber, line.invoiceDate.description] {
            buffer.writeInteger(tab)
            append(value, to: &buffer)
        }
        for value in [line.manufacturerInvoiceNumber, line.manufacturerCode] {
            buffer.writeInteger(tab)
            append(value, to: &buffer)
        }
        for value in [
            line.institutionCode, line.drugCode, line.lotNumber, DecimalText.plain(line.quantity),
            DecimalText.plain(line.unitPrice.amount), DecimalText.plain(line.amount.amount),
        ] {
            buffer.writeInteger(tab)
            append(value, to: &buffer)
        }
        buffer.writeInteger(newline)
    }
}
