import Foundation

/// A lot number's key (批号): Unicode NFKC (full-width letters and digits become ASCII, the ideographic space
/// becomes a plain space), surrounding spaces trimmed, upper case. The same as SQL's `lot_key()` (sql/013), so a lot
/// typed `bs261115` or `ＢＳ２６１１１５` is the lot `BS261115` wherever it is compared.
package struct LotKey: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    package let value: String

    package init(_ lotNumber: String) {
        if let ascii = Self.asciiKey(lotNumber) {
            value = ascii
        } else {
            value = lotNumber.precomposedStringWithCompatibilityMapping
                .trimmingCharacters(in: CharacterSet(charactersIn: " ")).uppercased()
        }
    }

    /// The same key for a lot number of ASCII only (compatibility mapping leaves ASCII as it is), without
    /// Foundation's Unicode paths: a reconciliation keys a million lines. Nil for any other lot number.
    static func asciiKey(_ lotNumber: String) -> String? {
        var lotNumber = lotNumber
        return lotNumber.withUTF8 { bytes -> String? in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            var start = 0
            var end = bytes.count
            while start < end && bytes[start] == 0x20 { start += 1 }
            while end > start && bytes[end - 1] == 0x20 { end -= 1 }
            return String(unsafeUninitializedCapacity: end - start) { out in
                for i in start..<end {
                    let b = bytes[i]
                    out[i - start] = b >= 0x61 && b <= 0x7A ? b - 0x20 : b
                }
                return end - start
            }
        }
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
