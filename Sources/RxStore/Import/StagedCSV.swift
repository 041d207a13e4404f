import Foundation
import Logging
import NIOCore
import PostgresNIO
import RxDomain

/// The header of a CSV file: where each column is (names trimmed, a Chinese header read as its column's name;
/// extra columns are ignored).
struct CSVHeader {
    let count: Int
    private let index: [String: Int]

    init(_ record: CSVRecord) {
        let names = record.fields.map(ImportTemplate.columnName)
        count = names.count
        index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }

    subscript(_ name: String) -> Int? { index[name] }
}

/// A file whose every line is read into a temporary table, chunk by chunk (constant memory), so that what is checked
/// against the database is checked set-based over the whole file. Each record becomes a row whose first column is
/// its line number and whose last, `reasons`, says why the line is bad as read (NULL when it is good); a record that
/// cannot be read at all (a stray quote, text that is not in the file's encoding, a wrong number of fields) is a row
/// with only those two.
package enum StagedCSV {
    /// The file cannot be read as a table: empty, or without the columns it needs.
    package struct Unreadable: Error {
        package var line: Int
        package var reason: String
    }

    /// Writes the columns of a record (the header's width) between `line_number` and `reasons`.
    typealias RowWriter = (CSVRecord, inout ByteBuffer) -> Void

    /// Streams `input` into `table` (`columns`: `line_number`, the row writer's columns, `reasons`); the number of
    /// records. `stage` reads the header and returns the row writer; `required` are the columns the file must have.
    static func copy(
        _ input: FileInput, encoding: FileEncoding, file: String, required: [String], table: String, columns: [String],
        connection: PostgresConnection, logger: Logger, stage: (CSVHeader) -> RowWriter
    ) async throws -> Int {
        var source = try ChunkSource(input)
        var parser = CSVStreamParser(encoding: encoding.csv)
        var header: CSVHeader?
        var writer: RowWriter?
        var unreadable: Unreadable?
        var records = 0
        let flushAt = 1 << 18
        let nulls = columns.count - 2
        try connection.ensureOpen()
        try await connection.copyFrom(table: table, columns: columns, logger: logger) { copyWriter in
            var buffer = ByteBufferAllocator().buffer(capacity: flushAt + (1 << 16))
            func bad(_ line: Int, _ reason: String) {
                buffer.writeString(String(line))
                for _ in 0..<nulls { buffer.writeStaticString("\t\\N") }
                buffer.writeInteger(CopyText.tab)
                CopyText.append(reason, to: &buffer)
                buffer.writeInteger(CopyText.newline)
            }
            func take(_ item: CSVStreamParser.Item) {
                guard unreadable == nil else { return }
                guard let header, let writer else {
                    switch item {
                    case .malformed(let line, let reason):
                        unreadable = Unreadable(line: line, reason: reason)
                    case .record(let record):
                        let found = CSVHeader(record)
                        let missing = required.filter { found[$0] == nil }
                        if missing.isEmpty {
                            header = found
                            writer = stage(found)
                        } else {
                            unreadable = Unreadable(
                                line: record.line, reason: "\(file) lacks the column(s) \(missing.joined(separator: ", "))")
                        }
                    }
                    return
                }
                records += 1
                switch item {
                case .malformed(let line, let reason):
                    bad(line, reason)
                case .record(let record) where record.fields.count != header.count:
                    bad(record.line, "\(record.fields.count) fields where the header has \(header.count)")
                case .record(let record):
                    buffer.writeString(String(record.line))
                    writer(record, &buffer)
                }
            }
            while let chunk = try source.next() {
                chunk.withUnsafeBytes { parser.feed($0, take) }
                if let unreadable { throw unreadable }
                if buffer.readableBytes >= flushAt {
                    try await copyWriter.write(buffer)
                    buffer.clear()
                }
            }
            parser.finish(take)
            if let unreadable { throw unreadable }
            guard header != nil else { throw Unreadable(line: 1, reason: "\(file) is empty") }
            if buffer.readableBytes > 0 { try await copyWriter.write(buffer) }
        }
        return records
    }
}

extension CopyText {
    /// A value between two others of a row: a tab, then the value or `\N`.
    static func field(_ value: String?, to buffer: inout ByteBuffer) {
        buffer.writeInteger(tab)
        append(value, to: &buffer)
    }

    /// The last column of a staged row, `reasons` (NULL when there is none), and the row's end.
    static func reasons(_ reasons: [String], to buffer: inout ByteBuffer) {
        buffer.writeInteger(tab)
        append(reasons.isEmpty ? nil : reasons.joined(separator: "; "), to: &buffer)
        buffer.writeInteger(newline)
    }
}
