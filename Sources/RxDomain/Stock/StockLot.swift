import Foundation

/// A lot number's key (批号): Unicode NFKC (full-width letters and digits become ASCII, the ideographic space
/// becomes a plain space), surrounding spaces trimmed, upper case. The same as SQL's `lot_key()` (sql/013), so a lot
/// typed `bs261115` or `ＢＳ２６１１１５` is the lot `BS261115` wherever it is compared.
package struct LotKey: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    package let value: String

    package init(_ lotNumber: String) {
        value = lotNumber.precomposedStringWithCompatibilityMapping
            .trimmingCharacters(in: CharacterSet(charactersIn: " ")).uppercased()
    }

    package var isEmpty: Bool { value.isEmpty }
    package var description: String { value }
    package static func < (a: LotKey, b: LotKey) -> Bool { a.value < b.value }

    package init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }
}

/// A lot of a drug (生产批号, 有效期至): the number as typed, its key, and its expiry date.
package struct StockLot: Sendable, Hashable, Codable {
    package var drugCode: String
    package var lotNumber: String
    package var expiry: BusinessDate

    package init(drugCode: String, lotNumber: String, expiry: BusinessDate) {
        self.drugCode = drugCode
        self.lotNumber = lotNumber
        self.expiry = expiry
    }

    package var lotKey: LotKey { LotKey(lotNumber) }

    /// A lot as typed on a receipt or an opening balance: a lot number that is not blank once normalised (422
    /// naming `lotNumber`), at most 50 characters.
    package static func parse(drugCode: String, lotNumber: String, expiry: BusinessDate) throws(DomainError) -> StockLot {
        let key = LotKey(lotNumber)
        guard !key.isEmpty else { throw .invalid("lotNumber", "must not be blank") }
        let limit = 50
        guard lotNumber.count <= limit else { throw .invalid("lotNumber", "must be at most \(limit) characters") }
        return StockLot(drugCode: drugCode, lotNumber: lotNumber, expiry: expiry)
    }

    /// Days from `today` to the expiry date; 0 on the expiry date, negative after it.
    package func daysLeft(on today: BusinessDate) -> Int { today.days(to: expiry) }
}

/// Why a lot may not leave the shelf (lot blocks): a recall by the consortium admin on the regulator's notice, or a
/// rejection by the lead's herb inspection.
package enum LotBlockKind: String, Sendable, Codable, CaseIterable {
    /// 召回
    case recall
    /// 抽检不合格
    case inspectionRejection = "inspection_rejection"
}
