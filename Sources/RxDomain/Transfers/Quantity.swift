import Foundation

/// An amount of a preparation in its own unit (袋, 瓶, 粒, ml, g …). Decimal in Swift, numeric in SQL, a decimal
/// string in JSON ("12", "2.5"); never floating point.
package struct Quantity: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    package var value: Decimal

    package init(_ value: Decimal) { self.value = value }

    package static let zero = Quantity(0)

    /// Parses a plain decimal: up to ten digits, at most one point, at most four decimals.
    package init?(_ text: String) {
        guard let parsed = Money(text) else { return nil }
        value = parsed.amount
    }

    package static func < (a: Quantity, b: Quantity) -> Bool { a.value < b.value }
    package static func + (a: Quantity, b: Quantity) -> Quantity { Quantity(a.value + b.value) }
    package static func - (a: Quantity, b: Quantity) -> Quantity { Quantity(a.value - b.value) }

    /// The shortest text at four decimals: "10", "2.5", "0.125".
    package var description: String {
        var text = DecimalText.format(value, places: 4)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let quantity = Quantity(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a quantity like 12.5"))
        }
        self = quantity
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    /// Reads a quantity field of a request, naming it when malformed; zero only where `allowZero`.
    package static func parse(_ text: String, field: String, allowZero: Bool = false) throws(DomainError) -> Quantity {
        guard let quantity = Quantity(text), quantity.value > 0 || (allowZero && quantity.value == 0) else {
            throw .invalid(field, "'\(text)' is not a \(allowZero ? "" : "positive ")quantity with at most four decimals")
        }
        return quantity
    }
}
