import Foundation

/// Keyset paging: a page ends with an opaque cursor that encodes the last key it showed.
package struct PageRequest: Sendable, Hashable {
    package static let defaultLimit = 50
    package static let maximumLimit = 200

    package var limit: Int
    /// The last key of the previous page, if any.
    package var after: String?

    /// The last id of the previous page, for pages keyed by id: 0 for the first page, and for a key that is not an
    /// id (which reads the first page).
    package var afterID: Int64 { after.flatMap(Int64.init) ?? 0 }

    package init(limit: Int?, cursor: String?) throws(DomainError) {
        let limit = limit ?? Self.defaultLimit
        guard (1...Self.maximumLimit).contains(limit) else {
            throw .badRequest(
                "limit: must be between 1 and \(Self.maximumLimit)",
                [FieldError(field: "limit", reason: "must be between 1 and \(Self.maximumLimit)")])
        }
        self.limit = limit
        if let cursor {
            guard let key = Cursor.decode(cursor) else {
                throw .badRequest(
                    "cursor: not a cursor this service issued",
                    [FieldError(field: "cursor", reason: "not a cursor this service issued")])
            }
            self.after = key
        }
    }
}

package struct Page<Item: Sendable>: Sendable {
    package var items: [Item]
    package var nextCursor: String?

    /// A page whose rows were narrowed after they were read: `after`, the key of the last row read when more remain.
    package init(items: [Item], after key: String?) {
        self.items = items
        nextCursor = key.map(Cursor.encode)
    }

    /// Builds a page from up to `limit + 1` rows: the extra row only says that there is more.
    package init(rows: [Item], limit: Int, key: (Item) -> String) {
        if rows.count > limit {
            items = Array(rows.prefix(limit))
            nextCursor = items.last.map { Cursor.encode(key($0)) }
        } else {
            items = rows
            nextCursor = nil
        }
    }
}

enum Cursor {
    static func encode(_ key: String) -> String {
        Data(("k1:" + key).utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ cursor: String) -> String? {
        var b64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64), let text = String(data: data, encoding: .utf8),
            text.hasPrefix("k1:")
        else { return nil }
        return String(text.dropFirst(3))
    }
}

/// Shares reported as decimal fractions with four places ("0.8500"), never floating point.
package enum Share {
    package static func fraction(_ part: Int, of whole: Int) -> String {
        guard whole > 0 else { return "0.0000" }
        return DecimalText.format(Decimal(part) / Decimal(whole), places: 4)
    }
}
