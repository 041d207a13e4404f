import Foundation

/// Writes RFC 4180 CSV: a field is quoted when it holds a comma, a quote or a line break. `field(_:)` is the one
/// CSV escaper (the catalogue export, the reconciliation reports).
package struct CSVWriter: Sendable {
    package private(set) var text = ""
    private var forExcel = false

    package init(header: [String]) { append(header) }

    /// A file for Excel on Chinese Windows (Excel round trips): the UTF-8 byte-order mark first, without which Excel
    /// reads the file as GBK; and a text that Excel would take for a formula (=, +, -, @ first, and not a number)
    /// kept as text by a leading apostrophe, so that a downloaded file never runs one (CSV injection).
    package static func forExcel(header: [String]) -> CSVWriter {
        var writer = CSVWriter(header: [])
        writer.text = "\u{FEFF}"
        writer.forExcel = true
        writer.append(header)
        return writer
    }

    package mutating func append(_ fields: [String]) {
        guard !fields.isEmpty else { return }
        text += fields.map { Self.field(forExcel ? Self.inert($0) : $0) }.joined(separator: ",") + "\r\n"
    }

    /// A field Excel would read as a formula, made plain text.
    package static func inert(_ field: String) -> String {
        guard let first = field.first, "=+-@\t\r".contains(first) else { return field }
        let rest = field.dropFirst()
        if first == "-" || first == "+", rest.contains(where: \.isNumber), rest.allSatisfy({ $0.isNumber || $0 == "." }) {
            return field
        }
        return "'" + field
    }

    /// A field as written in a CSV line.
    package static func field(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
