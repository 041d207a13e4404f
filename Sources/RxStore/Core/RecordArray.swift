import NIOCore
import PostgresNIO

/// Reads cells in order and decodes them: a row's columns (`RowReader`) or one record's fields (`RecordReader`).
package protocol CellReader {
    /// The next cell; reading past the last is a mistake in the store.
    mutating func nextCell() throws -> PostgresCell
}

extension CellReader {
    /// The next cell as `T` (decimals have their own, `NumericDigits`).
    package mutating func next<T: PostgresDecodable>(_: T.Type = T.self) throws -> T {
        try nextCell().decode(T.self)
    }

    /// The next cell, an array of records (`ARRAY(SELECT ROW(…) …)`), as its records in order.
    package mutating func nextRecords() throws -> RecordArray {
        try RecordArray(try nextCell())
    }
}

/// An array of records in PostgreSQL's binary form, one record a child row: a page of orders sends each order once
/// with its lines in such an array, not the order again on each line (docs/performance.md, "Orders with their lines
/// in one row").
///
/// The form (`array_send`): the count of dimensions (0 for an empty array, else 1 here), a flag for NULL elements,
/// the elements' type, each dimension's length and lower bound; then each element's length and bytes. A record
/// (`record_send`) is its count of fields, then each field's type, length (-1 for NULL) and bytes. The records'
/// lengths are checked when the array is read, so going through its records cannot fail.
package struct RecordArray: Sequence, IteratorProtocol {
    private var elements: ByteBuffer
    private let column: String
    /// The number of records.
    package let count: Int

    init(_ cell: PostgresCell) throws {
        column = cell.columnName
        guard cell.format == .binary, var bytes = cell.bytes,
            let (dimensions, _, _) = bytes.readMultipleIntegers(as: (Int32, Int32, UInt32).self)
        else { throw Self.malformed(cell.columnName, "not an array of records") }
        switch dimensions {
        case 0:
            count = 0
        case 1:
            guard let (length, _) = bytes.readMultipleIntegers(as: (Int32, Int32).self), length >= 0 else {
                throw Self.malformed(cell.columnName, "a dimension without its length")
            }
            count = Int(length)
        default:
            throw Self.malformed(cell.columnName, "\(dimensions) dimensions")
        }
        elements = bytes
        var walk = bytes
        for _ in 0..<count {
            guard let length = walk.readInteger(as: Int32.self), length >= 4, walk.readableBytes >= Int(length) else {
                throw Self.malformed(cell.columnName, "a NULL or cut record")
            }
            walk.moveReaderIndex(forwardBy: Int(length))
        }
        guard walk.readableBytes == 0 else { throw Self.malformed(cell.columnName, "bytes after the last record") }
    }

    package mutating func next() -> RecordReader? {
        guard let length = elements.readInteger(as: Int32.self), var record = elements.readSlice(length: Int(length))
        else { return nil }
        record.moveReaderIndex(forwardBy: 4)  // the count of fields: each field says its own type and length
        return RecordReader(fields: record, column: column)
    }

    private static func malformed(_ column: String, _ what: String) -> UnknownDatabaseValue {
        UnknownDatabaseValue(type: "array of records in \(column)", value: what)
    }
}

/// One record's fields, read in order like a row's columns.
package struct RecordReader: CellReader {
    private var fields: ByteBuffer
    private let column: String
    private var index = 0

    init(fields: ByteBuffer, column: String) {
        self.fields = fields
        self.column = column
    }

    package mutating func nextCell() throws -> PostgresCell {
        guard let (type, length) = fields.readMultipleIntegers(as: (UInt32, Int32).self) else {
            throw UnknownDatabaseValue(type: "record in \(column)", value: "fewer than \(index + 1) fields")
        }
        let bytes: ByteBuffer?
        if length < 0 {
            bytes = nil
        } else if let slice = fields.readSlice(length: Int(length)) {
            bytes = slice
        } else {
            throw UnknownDatabaseValue(type: "record in \(column)", value: "field \(index + 1) cut")
        }
        defer { index += 1 }
        return PostgresCell(
            bytes: bytes, dataType: PostgresDataType(type), format: .binary, columnName: column, columnIndex: index)
    }
}
