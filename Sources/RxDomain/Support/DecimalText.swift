import Foundation

/// Decimal text both ways, by hand where Foundation is slow or wrong here.
package enum DecimalText {
    /// Fixed-point text of a decimal, rounded half-up: what money and shares are written as.
    /// (Written by hand: Foundation's NumberFormatter on Linux ignores the fraction digits in decimal style.)
    package static func format(_ value: Decimal, places: Int) -> String {
        var input = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &input, places, .plain)
        var text = "\(rounded)"
        guard places > 0 else { return text }
        if !text.contains(".") { text += "." }
        let decimals = text.count - 1 - text.distance(from: text.startIndex, to: text.firstIndex(of: ".")!)
        return text + String(repeating: "0", count: max(0, places - decimals))
    }

    /// The decimal `±digits × 10^exponent`, in the compact form `Decimal(string:)` gives (no trailing zeros in
    /// the significand), built without text: parsing and printing decimals are Foundation's slow paths, and a
    /// reconciliation does both a million times.
    package static func decimal(digits: UInt64, exponent: Int, negative: Bool = false) -> Decimal {
        var digits = digits
        var exponent = exponent
        guard digits != 0 else { return Decimal(sign: .plus, exponent: exponent, significand: 0) }
        while digits % 10 == 0 {
            digits /= 10
            exponent += 1
        }
        return Decimal(sign: negative ? .minus : .plus, exponent: exponent, significand: Decimal(digits))
    }

    /// The same text as `value.description` ("12.5", "0.0005", "-3", "100"), faster where the significand fits
    /// 64 bits.
    package static func plain(_ value: Decimal) -> String {
        let significand = value.significand.magnitude
        let exponent = value.exponent
        guard value.isFinite, significand < maxFastSignificand, (-40...40).contains(exponent) else { return value.description }
        let digits = NSDecimalNumber(decimal: significand).uint64Value
        if digits == 0 { return "0" }
        var text = value.sign == .minus ? "-" : ""
        let written = String(digits)
        if exponent >= 0 {
            text += written
            text += String(repeating: "0", count: exponent)
        } else {
            let decimals = -exponent
            if written.utf8.count > decimals {
                let point = written.utf8.index(written.utf8.startIndex, offsetBy: written.utf8.count - decimals)
                text += written[..<point]
                text += "."
                text += written[point...]
            } else {
                text += "0."
                text += String(repeating: "0", count: decimals - written.utf8.count)
                text += written
            }
        }
        return text
    }

    private static let maxFastSignificand = Decimal(UInt64(1) << 63)
}
