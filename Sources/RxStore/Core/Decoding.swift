import Foundation
import NIOCore
import PostgresNIO
import RxDomain

/// A value in the database that the domain does not know: the schema and the code disagree.
package struct UnknownDatabaseValue: Error, CustomStringConvertible {
    package var type: String
    package var value: String
    package var description: String { "unknown \(type) '\(value)' in the database" }
}

func decodeEnum<T: RawRepresentable>(_ raw: String, as type: T.Type = T.self) throws -> T where T.RawValue == String {
    guard let value = T(rawValue: raw) else { throw UnknownDatabaseValue(type: "\(T.self)", value: raw) }
    return value
}

extension String {
    /// Escapes LIKE's wildcards so user text matches itself (used with `ESCAPE '\'`).
    var likeEscaped: String {
        var out = ""
        for c in self {
            if c == "\\" || c == "%" || c == "_" { out.append("\\") }
            out.append(c)
        }
        return out
    }
}

/// PostgreSQL's binary `numeric`, read without printing it: ndigits, weight, sign and dscale (Int16 each), then
/// ndigits base-10000 digits, most significant first. The number is `digits` × 10000^`exponent`, negated when
/// `negative`. Nil for NaN, the infinities, a text cell, and digits that do not fit in 64 bits: those take
/// PostgresNIO's own decoding.
struct BinaryNumeric {
    var digits: UInt64
    var exponent: Int
    var negative: Bool

    init?(_ buffer: ByteBuffer, type: PostgresDataType, format: PostgresFormat) {
        guard type == .numeric, format == .binary, buffer.readableBytes >= 8,
            let (count, weight, sign, _) = buffer.getMultipleIntegers(
                at: buffer.readerIndex, as: (Int16, Int16, UInt16, Int16).self),
            count >= 0, sign == 0 || sign == 0x4000, buffer.readableBytes == 8 + 2 * Int(count)
        else { return nil }
        var digits: UInt64 = 0
        for i in 0..<Int(count) {
            let digit = UInt64(buffer.getInteger(at: buffer.readerIndex + 8 + 2 * i, as: UInt16.self) ?? 0)
            let (times, overflow) = digits.multipliedReportingOverflow(by: 10_000)
            let (sum, overflowed) = times.addingReportingOverflow(digit)
            guard !overflow, !overflowed else { return nil }
            digits = sum
        }
        self.digits = digits
        self.exponent = Int(weight) - Int(count) + 1
        self.negative = sign == 0x4000
    }
}

/// A `numeric` column decoded straight from PostgreSQL's binary form (`BinaryNumeric`) into the compact `Decimal`
/// that PostgresNIO's own decoding gives, which prints the number and parses the text: at a million rows that was
/// most of a reconciliation's client time.
struct NumericColumn: PostgresDecodable {
    var value: Decimal

    init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
        context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        // `Decimal`'s exponent is -128...127: a number beyond that takes PostgresNIO's path (and its refusal).
        if let number = BinaryNumeric(buffer, type: type, format: format), (-30...30).contains(number.exponent) {
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            value = DecimalText.decimal(digits: number.digits, exponent: 4 * number.exponent, negative: number.negative)
        } else {
            value = try Decimal(from: &buffer, type: type, format: format, context: context)
        }
    }
}

/// A `numeric` column in ten-thousandths (`value`: the number × 10,000 as an Int64), straight from PostgreSQL's
/// binary form: what a reconciliation holds of a million receipts (`InvoiceFileMatching.ReceiptAmounts`). `value`
/// is nil for a number with more than four decimal places, one too large, NaN or an infinity: decode the cell as
/// `NumericColumn` then.
struct TenThousandthsColumn: PostgresDecodable {
    var value: Int64?

    init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
        context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        defer { buffer.moveReaderIndex(forwardBy: buffer.readableBytes) }
        guard let number = BinaryNumeric(buffer, type: type, format: format), number.digits <= UInt64(Int64.max)
        else { return }
        // In ten-thousandths the number is digits × 10000^(exponent + 1).
        var digits = Int64(number.digits)
        var shift = number.exponent + 1
        while shift < 0 {
            guard digits % 10_000 == 0 else { return }
            digits /= 10_000
            shift += 1
        }
        while shift > 0 {
            let (times, overflow) = digits.multipliedReportingOverflow(by: 10_000)
            guard !overflow else { return }
            digits = times
            shift -= 1
        }
        value = number.negative ? -digits : digits
    }
}
