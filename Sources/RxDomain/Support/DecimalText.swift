import Foundation

/// Decimal text both ways, by hand where Foundation is slow or wrong here.
package enum DecimalText {
    /// Fixed-point text of a decimal, rounded half-up: what money and shares are written as.
    /// (Written by hand: Foundation's NumberFormatter on Linux ignores the fraction digits in decimal style.)
    package static func format(_ value: Decimal, places: Int) -> String {
        var input = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &input, places, .plain)
        if let text = fixed(rounded, places: places) { return text }
        var text = "\(rounded)"
        guard places > 0 else { return text }
        if !text.contains(".") { text += "." }
        let decimals = text.count - 1 - text.distance(from: text.startIndex, to: text.firstIndex(of: ".")!)
        return text + String(repeating: "0", count: max(0, places - decimals))
    }

    /// `value`, already rounded to at most `places` decimals, written with exactly `places` from its digits as an
    /// integer: `Decimal`'s own text is slow on Linux, and a page of orders writes a thousand prices and quantities.
    /// Nil when its digits do not fit 64 bits once scaled (`format` then pads Foundation's text).
    private static func fixed(_ value: Decimal, places: Int) -> String? {
        let exponent = value.exponent
        guard value.isFinite, (0..<powersOfTen.count).contains(places), exponent >= -places,
            exponent + places < powersOfTen.count, value.significand.magnitude < maxFastSignificand
        else { return nil }
        let digits = NSDecimalNumber(decimal: value.significand.magnitude).uint64Value
        let (scaled, overflow) = digits.multipliedReportingOverflow(by: powersOfTen[exponent + places])
        guard !overflow else { return nil }
        let unit = powersOfTen[places]
        var text = value.sign == .minus && scaled != 0 ? "-" : ""
        text += String(scaled / unit)
        guard places > 0 else { return text }
        let fraction = String(scaled % unit)
        text += "."
        text += String(repeating: "0", count: places - fraction.utf8.count)
        text += fraction
        return text
    }

    /// 10⁰ … 10¹⁸, the powers of ten a `UInt64` holds.
    private static let powersOfTen: [UInt64] = (0...18).map { (0..<$0).reduce(UInt64(1)) { power, _ in power * 10 } }

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
