import Foundation
import RxDomain
import Testing

/// Decimals built and printed by hand (`DecimalText.decimal`, `DecimalText.plain`, `Money.init?(_:maxDecimals:)`)
/// must be indistinguishable from Foundation's: the same value, text and hash.
@Suite("Decimal text")
struct DecimalTextTests {
    static let posix = Locale(identifier: "en_US_POSIX")

    @Test(arguments: [
        ("0.33333", 4, "0.3333"), ("12.5", 4, "12.5000"), ("7", 2, "7.00"), ("0.00005", 4, "0.0001"),
        ("123456.78", 4, "123456.7800"),
    ])
    func format(value: String, places: Int, text: String) {
        #expect(DecimalText.format(Decimal(string: value)!, places: places) == text)
    }

    /// What `format` wrote before it wrote the digits itself: Foundation's text of the rounded value, padded.
    static func foundationFormat(_ value: Decimal, places: Int) -> String {
        var input = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &input, places, .plain)
        var text = "\(rounded)"
        guard places > 0 else { return text }
        if !text.contains(".") { text += "." }
        let decimals = text.count - 1 - text.distance(from: text.startIndex, to: text.firstIndex(of: ".")!)
        return text + String(repeating: "0", count: max(0, places - decimals))
    }

    @Test("format writes what Foundation's text of the rounded value, padded, says: any sign, size, scale and places")
    func formatLikeFoundation() {
        var values: [Decimal] = [
            0, 1, -1, Decimal(string: "0.00005")!, Decimal(string: "-0.00005")!, Decimal(string: "-0.00004")!,
            Decimal(string: "99999999999999.99995")!, Decimal(string: "1e20")!, Decimal(string: "123456789012345678901234.5")!,
            Decimal(UInt64.max), Decimal(string: "0.1")!,
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let digits = UInt64.random(in: 0...(UInt64(1) << UInt64.random(in: 1...62, using: &generator)), using: &generator)
            values.append(
                DecimalText.decimal(
                    digits: digits, exponent: Int.random(in: -12...6, using: &generator), negative: Bool.random(using: &generator)
                ))
        }
        for value in values {
            for places in [0, 2, 4, 8] {
                #expect(
                    DecimalText.format(value, places: places) == Self.foundationFormat(value, places: places),
                    "\(value) \(places)")
            }
        }
    }

    static func expectSame(_ mine: Decimal, _ foundation: Decimal, _ text: String) {
        #expect(mine == foundation, "\(text)")
        #expect(mine.description == foundation.description, "\(text)")
        #expect(mine.hashValue == foundation.hashValue, "\(text)")
    }

    @Test("Money parses every plain decimal as Decimal(string:) does")
    func moneyLikeFoundation() {
        var texts = [
            "0", "0.0", "0.0000", "1", "10", "100", "1000.000", "12.5", "12.50", "0.0001", "0.0860", "9999999999.9999",
            "0000000001.1", "1234567890",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            var text = String(UInt64.random(in: 0...9_999_999_999, using: &generator))
            let decimals = Int.random(in: 0...4, using: &generator)
            if decimals > 0 { text += "." + String((0..<decimals).map { _ in "0123456789".randomElement(using: &generator)! }) }
            texts.append(text)
        }
        for text in texts {
            guard let money = Money(text) else {
                Issue.record("refused \(text)")
                continue
            }
            Self.expectSame(money.amount, Decimal(string: text, locale: Self.posix)!, text)
        }
    }

    @Test(
        "Money refuses what is not a plain decimal",
        arguments: [
            "", ".", "1.", ".5", "1..2", "1.2.3", "12345678901", "1.12345", "-1", "+1", "1e3", " 1", "1 ", "1,000", "１", "0x10",
            "99999999999999999999999",
        ])
    func moneyRefuses(_ text: String) {
        #expect(Money(text) == nil)
    }

    @Test("Money honours maxDecimals")
    func maxDecimals() {
        #expect(Money("1.123", maxDecimals: 3) != nil)
        #expect(Money("1.1234", maxDecimals: 3) == nil)
        #expect(Money("1.12", maxDecimals: 2)?.amount == Decimal(string: "1.12"))
    }

    @Test("plain prints what description prints")
    func plainLikeDescription() {
        var values: [Decimal] = [
            0, 1, -1, 100, Decimal(string: "0.0005")!, Decimal(string: "-12.5")!, Decimal(string: "1e30")!,
            Decimal(string: "123456789012345678901234567890")!, Decimal(string: "0.000000000000000000001")!,
            DecimalText.decimal(digits: 0, exponent: -4), DecimalText.decimal(digits: 1200, exponent: -2),
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let digits = UInt64.random(in: 0...UInt64.max >> 1, using: &generator) >> UInt64.random(in: 0...62, using: &generator)
            values.append(
                DecimalText.decimal(
                    digits: digits, exponent: Int.random(in: -12...6, using: &generator),
                    negative: Bool.random(using: &generator)))
        }
        for value in values { #expect(DecimalText.plain(value) == value.description, "\(value)") }
    }

    @Test("decimal(digits:exponent:) is the compact form of the same number")
    func decimalFromDigits() {
        for (digits, exponent, text) in [
            (UInt64(125), -1, "12.5"), (1250, -2, "12.5"), (100, 0, "100"), (5, -4, "0.0005"),
            (0, -2, "0"), (123_456_789_012_345_678, -4, "12345678901234.5678"),
        ] {
            Self.expectSame(
                DecimalText.decimal(digits: digits, exponent: exponent), Decimal(string: text, locale: Self.posix)!, text)
        }
        Self.expectSame(DecimalText.decimal(digits: 35, exponent: -1, negative: true), Decimal(string: "-3.5")!, "-3.5")
    }
}
