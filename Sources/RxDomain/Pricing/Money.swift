import Foundation

/// An amount in CNY (元). Decimal in Swift, numeric in SQL, a decimal string in JSON; never floating point.
package struct Money: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    package var amount: Decimal

    package init(_ amount: Decimal) { self.amount = amount }

    /// Parses a plain decimal ("12.5", "0.0860"): one to ten digits, then at most one point and one to
    /// `maxDecimals` (at most 8) decimals.
    package init?(_ text: String, maxDecimals: Int = 4) {
        var digits: UInt64 = 0
        var whole = 0
        var decimals = 0
        var point = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard !point else { return nil }
                point = true
            } else {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                // Wrapping: a number too long is refused below, whatever it added up to.
                digits = digits &* 10 &+ UInt64(byte - UInt8(ascii: "0"))
                if point { decimals += 1 } else { whole += 1 }
            }
        }
        guard (1...10).contains(whole), !point || (1...min(maxDecimals, 8)).contains(decimals) else { return nil }
        amount = DecimalText.decimal(digits: digits, exponent: -decimals)
    }

    package static func < (a: Money, b: Money) -> Bool { a.amount < b.amount }

    /// Rounded half-up to `places` decimals.
    package func rounded(_ places: Int = 4) -> Money {
        var value = amount
        var result = Decimal()
        NSDecimalRound(&result, &value, places, .plain)
        return Money(result)
    }

    package static func * (a: Money, factor: Decimal) -> Money { Money(a.amount * factor) }
    package static func - (a: Money, b: Money) -> Money { Money(a.amount - b.amount) }
    package static func + (a: Money, b: Money) -> Money { Money(a.amount + b.amount) }

    /// Four decimals, the scale prices are kept at ("12.5000").
    package var description: String { formatted(places: 4) }

    package func formatted(places: Int) -> String { DecimalText.format(amount, places: places) }

    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let money = Money(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an amount like 12.50"))
        }
        self = money
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    /// Reads an amount field of a request, naming it when malformed.
    package static func parse(_ text: String, field: String) throws(DomainError) -> Money {
        guard let money = Money(text), money.amount > 0 else {
            throw .invalid(field, "'\(text)' is not a positive amount with at most four decimals")
        }
        return money
    }
}

/// An amount rounded to 分 (a hundredth of a yuan) as a whole number of them. A report that adds thousands of
/// amounts already rounded to two places (spend by member, drug and month) adds these exactly and writes them
/// without going through `Decimal`, whose arithmetic and text are slow on Linux.
package struct Fen: Sendable, Hashable, Comparable {
    package var count: Int64

    package init(_ count: Int64) { self.count = count }

    package static let zero = Fen(0)

    package static func < (a: Fen, b: Fen) -> Bool { a.count < b.count }
    package static func + (a: Fen, b: Fen) -> Fen { Fen(a.count + b.count) }

    package var money: Money { Money(DecimalText.decimal(digits: count.magnitude, exponent: -2, negative: count < 0)) }

    /// Two places, as `Money.formatted(places: 2)` writes the same amount ("1234.50", "0.05", "-3.00").
    package var formatted: String {
        let magnitude = count.magnitude
        let cents = magnitude % 100
        return (count < 0 ? "-" : "") + String(magnitude / 100) + (cents < 10 ? ".0" : ".") + String(cents)
    }

    /// The share `self ÷ total` with four places ("0.8500"); "0.0000" when the total is not positive.
    package func share(of total: Fen) -> String {
        total.count > 0 ? DecimalText.format(Decimal(count) / Decimal(total.count), places: 4) : "0.0000"
    }
}
