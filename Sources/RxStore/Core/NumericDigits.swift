import Foundation
import NIOCore
import PostgresNIO
import RxDomain

/// A `numeric` column's binary form read straight into `Decimal`. PostgresNIO's own decoding writes the number out
/// as text and parses it back (`Decimal(string:)`); a page of orders decodes 1,500 numerics, and that was a quarter
/// of the server's time for it.
///
/// The binary form (PostgreSQL's `numeric_send`): the count of base-10000 digits, the weight of the first (its power
/// of 10000), the sign (0 positive, 0x4000 negative; anything else NaN or infinite), the display scale, then the
/// digits. The value is `digits as one integer × 10000^(weight − count + 1)`, built by `DecimalText.decimal` in the
/// compact form `Decimal(string:)` gives, so the two are the same value, text and hash.
enum NumericDigits {
    /// The decimal in `bytes`, or nil when it is not a plain number whose digits fit 64 bits (the caller then lets
    /// PostgresNIO decode it).
    static func decimal(_ bytes: ByteBuffer) -> Decimal? {
        var bytes = bytes
        guard let count = bytes.readInteger(as: Int16.self), let weight = bytes.readInteger(as: Int16.self),
            let sign = bytes.readInteger(as: UInt16.self), bytes.readInteger(as: Int16.self) != nil,
            sign == 0 || sign == 0x4000, (0...4).contains(count), bytes.readableBytes == Int(count) * 2
        else { return nil }
        guard count > 0 else { return Decimal(0) }
        var digits: UInt64 = 0
        for _ in 0..<count {
            guard let digit = bytes.readInteger(as: UInt16.self), digit < 10_000 else { return nil }
            digits = digits * 10_000 + UInt64(digit)
        }
        return DecimalText.decimal(digits: digits, exponent: 4 * (Int(weight) - Int(count) + 1), negative: sign == 0x4000)
    }
}

extension CellReader {
    /// The next column, a `numeric`, as `Decimal` read from its digits (`NumericDigits`).
    package mutating func next(_: Decimal.Type = Decimal.self) throws -> Decimal {
        let cell = try nextCell()
        if cell.dataType == .numeric, cell.format == .binary, let bytes = cell.bytes,
            let value = NumericDigits.decimal(bytes)
        {
            return value
        }
        return try cell.decode(Decimal.self)
    }

    /// The next column, a `numeric` or NULL, as `Decimal` read from its digits (`NumericDigits`).
    package mutating func next(_: Decimal?.Type = Decimal?.self) throws -> Decimal? {
        let cell = try nextCell()
        guard let bytes = cell.bytes else { return nil }
        if cell.dataType == .numeric, cell.format == .binary, let value = NumericDigits.decimal(bytes) { return value }
        return try cell.decode(Decimal.self)
    }
}
