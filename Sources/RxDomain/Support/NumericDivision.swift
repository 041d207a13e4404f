import Foundation

/// Division as PostgreSQL's `numeric` divides: to at least 16 significant digits and at least either operand's
/// scale, rounded half away from zero (`select_div_scale` in its `numeric.c`). Where a quotient is computed both in
/// SQL and in Swift (the crosswalk's unit conversion of an invoice line, issue 25), both must give the same value,
/// or a line billed in tablets against boxes would match one way and not the other.
package enum NumericDivision {
    /// `dividend / divisor` as PostgreSQL computes `dividend::numeric / divisor::numeric`, where each operand's
    /// scale is its digits after the point as written (`scale(_:)`); nil when `divisor` is zero.
    package static func divide(_ dividend: Decimal, by divisor: Decimal, dividendScale: Int, divisorScale: Int)
        -> Decimal?
    {
        guard !divisor.isZero else { return nil }
        let (weight1, first1) = baseTenThousand(dividend)
        let (weight2, first2) = baseTenThousand(divisor)
        // The quotient's weight in base-10000 digits, assuming the dividend's first digit is the smaller when equal.
        var qweight = weight1 - weight2
        if first1 <= first2 { qweight -= 1 }
        let scale = min(max(16 - qweight * 4, dividendScale, divisorScale, 0), 1000)
        var quotient = dividend / divisor
        var rounded = Decimal()
        NSDecimalRound(&rounded, &quotient, scale, .plain)
        return rounded
    }

    /// Digits after the point of the decimal as `description` writes it (`"2.50"` is never written: 2.5 has 1).
    package static func scale(_ value: Decimal) -> Int {
        value.isZero ? 0 : max(0, -value.exponent - trailingZeros(value))
    }

    /// The weight of the first non-zero base-10000 digit (PostgreSQL's `NumericVar.weight` once normalised) and
    /// that digit; (0, 0) for zero.
    static func baseTenThousand(_ value: Decimal) -> (weight: Int, first: Int) {
        guard !value.isZero else { return (0, 0) }
        let digits = Array("\(value.magnitude.significand)".utf8).map { Int($0) - 48 }
        // Decimal position (power of ten) of each digit: digits[i] stands for 10^(count - 1 - i + exponent).
        let top = digits.count - 1 + value.exponent
        let weight = top >= 0 ? top / 4 : -((-top + 3) / 4)
        var first = 0
        for position in stride(from: weight * 4 + 3, through: weight * 4, by: -1) {
            let i = digits.count - 1 + value.exponent - position
            first = first * 10 + (i >= 0 && i < digits.count ? digits[i] : 0)
        }
        return (weight, first)
    }

    static func trailingZeros(_ value: Decimal) -> Int {
        let digits = "\(value.magnitude.significand)".utf8
        return digits.reversed().prefix { $0 == UInt8(ascii: "0") }.count
    }
}
