import Foundation
import RxDomain

#if canImport(CoreFoundation)
    import CoreFoundation
#endif

/// An RFC 4180 record: quoted fields may hold commas, quotes ("") and line breaks.
/// Each record keeps the line it started on, so errors name the line a person sees in an editor.
package struct CSVRecord: Sendable, Equatable {
    package var line: Int
    package var fields: [String]
}

/// The one CSV parser: records from bytes fed chunk by chunk (RFC 4180: quoted fields may hold commas,
/// doubled quotes and line breaks; a carriage return outside quotes is dropped; blank lines and rows of empty cells
/// are skipped; a record keeps the line it started on), in constant memory. `records(_:)` and `CSVTable` read a
/// whole text with it.
///
/// It works on bytes before decoding: in UTF-8 and in GBK/GB 18030 the bytes of a newline (0x0A), carriage return
/// (0x0D), quote (0x22) and comma (0x2C) never occur inside a multi-byte character (GBK's trailing bytes are
/// 0x40–0xFE, GB 18030's four-byte forms use 0x30–0x39 in second and fourth place), so fields are split on bytes and
/// each field is decoded on its own.
///
/// A malformed record is reported and reading goes on at the next line, so every bad line of a file can be listed;
/// `records(_:)` stops at the first one instead.
package struct CSVStreamParser {
    enum TextEncoding: Sendable {
        case utf8
        case foundation(String.Encoding, name: String)

        var name: String {
            switch self {
            case .utf8: "utf-8"
            case .foundation(_, let name): name
            }
        }

        /// Why a line cannot be read: a file that is not UTF-8 is most often GBK, so the option is named.
        var undecodable: String {
            switch self {
            case .utf8: "not utf-8 text (a GBK file? give --encoding gbk)"
            case .foundation(_, let name): "not \(name) text"
            }
        }
    }

    /// A record, or why it is not one (the line named is where the trouble is).
    enum Item {
        case record(CSVRecord)
        case malformed(line: Int, reason: String)
    }

    let encoding: TextEncoding
    private var fields: [String] = []
    private var field: [UInt8] = []
    private var inQuotes = false
    private var quotedField = false
    /// A quote seen inside a quoted field: a doubled quote or the closing one, depending on the next byte.
    private var quotePending = false
    private var undecodable = false
    /// Records emitted so far (the header is the first).
    private var recordCount = 0
    /// A malformed spot was found: the rest of the physical line is skipped and the record reported.
    private var malformed: (line: Int, reason: String)?
    private var recordLine = 1
    /// The physical line being read (1-based).
    private(set) var line = 1
    fileprivate var started = false

    init(encoding: TextEncoding) {
        self.encoding = encoding
        field.reserveCapacity(256)
    }

    /// Parses a chunk of bytes; a record cut by the chunk's end is finished by a later `feed` or by `finish`.
    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ emit: (Item) throws -> Void) rethrows {
        var i = 0
        let count = bytes.count
        while i < count {
            let b = bytes[i]
            i += 1
            if malformed != nil {
                if b == 0x0A {
                    let m = malformed!
                    try emit(.malformed(line: m.line, reason: m.reason))
                    resetRecord()
                    line += 1
                    recordLine = line
                }
                continue
            }
            if quotePending {
                quotePending = false
                if b == 0x22 { field.append(0x22); continue }
                inQuotes = false
            }
            if inQuotes {
                if b == 0x22 { quotePending = true; continue }
                if b == 0x0A { line += 1 }
                field.append(b)
                continue
            }
            switch b {
            case 0x22:
                if !field.isEmpty || quotedField {
                    malformed = (line, "a quote inside an unquoted field")
                } else {
                    inQuotes = true
                    quotedField = true
                }
            case 0x2C:
                endField()
            case 0x0D:
                continue
            case 0x0A:
                let blank = fields.isEmpty && field.isEmpty && !quotedField
                endField()
                if !blank { try emitRecord(emit) }
                resetRecord()
                line += 1
                recordLine = line
            default:
                if quotedField {
                    malformed = (line, "text after a closing quote")
                } else {
                    // The rest of the field up to the next comma, quote or line end, at once.
                    var end = i
                    while end < count {
                        let c = bytes[end]
                        if c == 0x2C || c == 0x0A || c == 0x0D || c == 0x22 { break }
                        end += 1
                    }
                    field.append(b)
                    field.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<end]))
                    i = end
                }
            }
        }
    }

    /// The last record, when the file does not end with a newline.
    mutating func finish(_ emit: (Item) throws -> Void) rethrows {
        if let m = malformed {
            try emit(.malformed(line: m.line, reason: m.reason))
            resetRecord()
            return
        }
        if quotePending { quotePending = false; inQuotes = false }
        if inQuotes {
            try emit(.malformed(line: recordLine, reason: "a quoted field is not closed"))
            resetRecord()
            return
        }
        if !field.isEmpty || !fields.isEmpty || quotedField {
            endField()
            try emitRecord(emit)
        }
        resetRecord()
    }

    private mutating func emitRecord(_ emit: (Item) throws -> Void) rethrows {
        if undecodable {
            try emit(.malformed(line: recordLine, reason: encoding.undecodable))
            return
        }
        if !started {
            started = true
            // A byte-order mark (U+FEFF in either encoding) before the header is not part of it.
            if let first = fields.first, first.unicodeScalars.first == "\u{FEFF}" {
                fields[0] = String(first.unicodeScalars.dropFirst())
            }
        }
        // A row of empty cells (`,,,,`) is what a spreadsheet writes for rows it once touched, often at the end of a
        // file: it is skipped like a blank line. The header is never skipped.
        if recordCount > 0, fields.allSatisfy({ $0.allSatisfy { $0 == " " || $0 == "\t" } }) { return }
        recordCount += 1
        try emit(.record(CSVRecord(line: recordLine, fields: fields)))
    }

    private mutating func resetRecord() {
        fields.removeAll(keepingCapacity: true)
        field.removeAll(keepingCapacity: true)
        inQuotes = false
        quotedField = false
        quotePending = false
        undecodable = false
        malformed = nil
    }

    private mutating func endField() {
        if let text = decode(field) {
            fields.append(text)
        } else {
            undecodable = true
            fields.append("")
        }
        field.removeAll(keepingCapacity: true)
        quotedField = false
    }

    private func decode(_ bytes: [UInt8]) -> String? {
        // Most fields are ASCII in every encoding, and need no validation: `String(validating:as:)` is generic and
        // not specialised, a metadata lookup per field of a million-line file.
        if !bytes.contains(where: { $0 >= 0x80 }) {
            return bytes.withUnsafeBufferPointer { ascii in
                String(unsafeUninitializedCapacity: ascii.count) { $0.initialize(fromContentsOf: ascii) }
            }
        }
        switch encoding {
        case .utf8:
            return String(validating: bytes, as: UTF8.self)
        case .foundation(let encoding, _):
            return String(bytes: bytes, encoding: encoding)
        }
    }
}

extension CSVStreamParser {
    /// Where a text read whole (`records(_:)`, `CSVTable`) is malformed.
    package struct Malformed: Error, Equatable, CustomStringConvertible {
        package var line: Int
        package var reason: String
        package var description: String { "line \(line): \(reason)" }
    }

    /// Every record of a text already in memory (seed files, a test's download), stopping at the first malformed
    /// spot. A byte-order mark is skipped only as the text's very first character.
    package static func records(_ text: String) throws -> [CSVRecord] {
        var text = text
        return try text.withUTF8 { utf8 throws -> [CSVRecord] in
            var bytes = UnsafeRawBufferPointer(utf8)
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = UnsafeRawBufferPointer(rebasing: bytes[3...]) }
            var records: [CSVRecord] = []
            var parser = CSVStreamParser(encoding: .utf8)
            // The mark is gone, so the parser's own check of the first field (meant for bytes) must not strip another.
            parser.started = true
            func take(_ item: Item) throws {
                switch item {
                case .record(let record): records.append(record)
                case .malformed(let line, let reason): throw Malformed(line: line, reason: reason)
                }
            }
            try parser.feed(bytes, take)
            try parser.finish(take)
            return records
        }
    }
}

/// A CSV table read whole against the header it must have.
package struct CSVTable: Sendable {
    package var header: [String]
    package var rows: [CSVRecord]
    /// Lines whose field count differs from the header's, when kept aside (`reportRagged`) rather than thrown.
    package var ragged: [CSVStreamParser.Malformed] = []
    let index: [String: Int]

    /// `reportRagged`: a line with the wrong number of fields goes to `ragged` (left out of `rows`) instead of
    /// failing the whole file, so an importer can name it beside the file's other bad lines.
    package init(text: String, requiredColumns: [String], file: String, reportRagged: Bool = false) throws {
        let records = try CSVStreamParser.records(text)
        guard let first = records.first else { throw CSVStreamParser.Malformed(line: 1, reason: "\(file) is empty") }
        header = first.fields.map(ImportTemplate.columnName)
        rows = Array(records.dropFirst())
        index = Dictionary(header.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let missing = requiredColumns.filter { index[$0] == nil }
        guard missing.isEmpty else {
            throw CSVStreamParser.Malformed(line: 1, reason: "\(file) lacks the column(s) \(missing.joined(separator: ", "))")
        }
        for row in rows where row.fields.count != header.count {
            let malformed = CSVStreamParser.Malformed(
                line: row.line, reason: "\(row.fields.count) fields where the header has \(header.count)")
            guard reportRagged else { throw malformed }
            ragged.append(malformed)
        }
        if !ragged.isEmpty {
            let count = header.count
            rows.removeAll { $0.fields.count != count }
        }
    }

    /// The field of a column, nil when empty.
    package func value(_ row: CSVRecord, _ column: String) -> String? {
        guard let i = index[column] else { return nil }
        let v = row.fields[i].trimmingCharacters(in: .whitespaces)
        return v.isEmpty ? nil : v
    }
}

extension CSVRecord {
    /// A field trimmed like `CSVTable.value` (spaces and tabs, `CharacterSet.whitespaces`), nil when empty.
    func trimmedValue(_ index: Int) -> String? {
        let v = fields[index]
        guard let first = v.unicodeScalars.first, let last = v.unicodeScalars.last else { return nil }
        if !Self.isWhitespace(first) && !Self.isWhitespace(last) { return v }
        let t = v.trimmingCharacters(in: .whitespaces)
        return t.isEmpty ? nil : t
    }

    /// `CharacterSet.whitespaces`, quick for ASCII (space and tab).
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s.isASCII ? s == " " || s == "\t" : CharacterSet.whitespaces.contains(s)
    }
}
