import Foundation

/// An RFC 4180 reader: quoted fields may hold commas, quotes ("") and line breaks.
/// Each record keeps the line it started on, so errors name the line a person sees in an editor.
public struct CSVRecord: Sendable, Equatable {
    public var line: Int
    public var fields: [String]
}

public enum CSVReader {
    public struct Malformed: Error, Equatable, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    public static func records(_ text: String) throws -> [CSVRecord] {
        var records: [CSVRecord] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var quotedField = false
        var line = 1
        var recordLine = 1
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        // Skip a UTF-8 byte-order mark.
        if text.unicodeScalars.first == "\u{FEFF}" { _ = iterator.next() }

        func endRecord() {
            fields.append(field)
            if !(fields.count == 1 && fields[0].isEmpty && !quotedField) {
                records.append(CSVRecord(line: recordLine, fields: fields))
            }
            fields = []
            field = ""
            quotedField = false
        }

        while let c = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; pending = next }
                    } else {
                        inQuotes = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"":
                guard field.isEmpty && !quotedField else {
                    throw Malformed(line: line, reason: "a quote inside an unquoted field")
                }
                inQuotes = true
                quotedField = true
            case ",":
                fields.append(field)
                field = ""
                quotedField = false
            case "\r":
                continue
            case "\n":
                endRecord()
                line += 1
                recordLine = line
            default:
                if quotedField { throw Malformed(line: line, reason: "text after a closing quote") }
                field.unicodeScalars.append(c)
            }
        }
        if inQuotes { throw Malformed(line: recordLine, reason: "a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty || quotedField { endRecord() }
        return records
    }
}

/// A CSV table read against the header it must have.
public struct CSVTable: Sendable {
    public var header: [String]
    public var rows: [CSVRecord]
    /// Lines whose field count differs from the header's, when kept aside (`reportRagged`) rather than thrown.
    public var ragged: [CSVReader.Malformed] = []
    let index: [String: Int]

    /// `reportRagged`: a line with the wrong number of fields goes to `ragged` (left out of `rows`) instead of
    /// failing the whole file, so an importer can name it beside the file's other bad lines.
    public init(text: String, requiredColumns: [String], file: String, reportRagged: Bool = false) throws {
        let records = try CSVReader.records(text)
        guard let first = records.first else { throw CSVReader.Malformed(line: 1, reason: "\(file) is empty") }
        header = first.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        rows = Array(records.dropFirst())
        index = Dictionary(header.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let missing = requiredColumns.filter { index[$0] == nil }
        guard missing.isEmpty else {
            throw CSVReader.Malformed(line: 1, reason: "\(file) lacks the column(s) \(missing.joined(separator: ", "))")
        }
        for row in rows where row.fields.count != header.count {
            let malformed = CSVReader.Malformed(line: row.line, reason: "\(row.fields.count) fields where the header has \(header.count)")
            guard reportRagged else { throw malformed }
            ragged.append(malformed)
        }
        if !ragged.isEmpty {
            let count = header.count
            rows.removeAll { $0.fields.count != count }
        }
    }

    /// The field of a column, nil when empty.
    public func value(_ row: CSVRecord, _ column: String) -> String? {
        guard let i = index[column] else { return nil }
        let v = row.fields[i].trimmingCharacters(in: .whitespaces)
        return v.isEmpty ? nil : v
    }
}
