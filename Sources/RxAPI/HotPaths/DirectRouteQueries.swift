/// What the direct routes read from a request exactly: path segments as sent and the queries they answer.
import Hummingbird
import RxDomain

extension DirectRoute {
    /// A path segment as sent that matches the contract's `Code` (`^[A-Z0-9][A-Z0-9_-]{1,31}$`), so it needs no
    /// percent-decoding and the generated route's guard would let it through.
    static func isCode(_ text: String) -> Bool {
        let bytes = text.utf8
        guard (2...32).contains(bytes.count), let first = bytes.first, isUpperOrDigit(first) else { return false }
        return bytes.allSatisfy { isUpperOrDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// A path segment as sent that matches the contract's `DrugCodeValue` (`^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$`).
    static func isDrugCode(_ text: String) -> Bool {
        let bytes = text.utf8
        guard (1...40).contains(bytes.count), let first = bytes.first,
            isUpperOrDigit(first) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first)
        else { return false }
        return bytes.allSatisfy {
            isUpperOrDigit($0) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || $0 == UInt8(ascii: ".")
                || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
    }

    private static func isUpperOrDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// A query of at most `limit` (1 to `PageRequest.maximumLimit` in plain digits) and `cursor` (a cursor as this service writes them,
    /// base64url without padding, at most 200 characters), each once; nil for any other query, which is the generated
    /// route's to read and refuse.
    static func pageQuery(_ query: String?) -> (limit: Int?, cursor: String?)? {
        guard let query, !query.isEmpty else { return (nil, nil) }
        var limit: Int?
        var cursor: String?
        for pair in query.split(separator: "&", omittingEmptySubsequences: false) {
            guard let equals = pair.firstIndex(of: "=") else { return nil }
            let name = pair[..<equals]
            let value = pair[pair.index(after: equals)...]
            switch name {
            case "limit":
                guard limit == nil, (1...3).contains(value.utf8.count), value.utf8.first != UInt8(ascii: "0"),
                    value.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let number = Int(value),
                    number <= PageRequest.maximumLimit
                else { return nil }
                limit = number
            case "cursor":
                guard cursor == nil, (1...200).contains(value.utf8.count),
                    value.utf8.allSatisfy({
                        isUpperOrDigit($0) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || $0 == UInt8(ascii: "-")
                            || $0 == UInt8(ascii: "_")
                    })
                else { return nil }
                cursor = String(value)
            default:
                return nil
            }
        }
        return (limit, cursor)
    }

    /// A query of exactly `from` and `to`, each once, each a date `YYYY-MM-DD` that exists; nil for any other query,
    /// which is the generated route's to read and refuse.
    static func periodQuery(_ query: String?) -> (from: String, to: String)? {
        guard let query, !query.isEmpty else { return nil }
        var from: String?
        var to: String?
        for pair in query.split(separator: "&", omittingEmptySubsequences: false) {
            guard let equals = pair.firstIndex(of: "=") else { return nil }
            let value = String(pair[pair.index(after: equals)...])
            guard BusinessDate(value) != nil else { return nil }
            switch pair[..<equals] {
            case "from" where from == nil: from = value
            case "to" where to == nil: to = value
            default: return nil
            }
        }
        guard let from, let to else { return nil }
        return (from, to)
    }
}
