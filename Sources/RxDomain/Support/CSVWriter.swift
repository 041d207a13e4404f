import Foundation

/// Writes RFC 4180 CSV: a field is quoted when it holds a comma, a quote or a line break. `field(_:)` is the one
/// CSV escaper (the catalogue export, the reconciliation reports).
package struct CSVWriter: Sendable {
    package private(set) var text = ""

    package init(header: [String]) { append(header) }

    package mutating func append(_ fields: [String]) {
        text += fields.map(Self.field).joined(separator: ",") + "\r\n"
    }

    /// A field as written in a CSV line.
    package static func field(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
