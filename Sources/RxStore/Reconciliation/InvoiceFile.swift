import Foundation
import RxDomain

/// A distributor's invoice file: decoded (UTF-8 or GBK), read as CSV and checked line by line before anything of it
/// is kept. Every bad line is reported with its number. `InvoiceFileReader` reads a file chunk by chunk with these
/// rules; `validate` judges one record.
package enum InvoiceFile {
    package static let columns = [
        "distributor_code", "invoice_number", "invoice_date", "manufacturer_invoice_number", "manufacturer_code",
        "institution_code", "drug_code", "lot_number", "quantity", "unit_price", "amount",
    ]

    package typealias Encoding = FileEncoding

    package struct LineError: Error, Sendable, Equatable, CustomStringConvertible {
        package var line: Int
        package var reason: String
        package var description: String { "line \(line): \(reason)" }

        package init(line: Int, reason: String) {
            self.line = line
            self.reason = reason
        }
    }

    /// Bad input: the file is not decodable, not CSV with the columns, or has bad lines (all of them listed, or the
    /// first `InvoiceFileReader.maxListedErrors` and a count of the others).
    package struct Rejected: Error, Sendable, CustomStringConvertible {
        package var errors: [LineError]
        /// Bad lines beyond those listed.
        package var unlisted: Int

        package init(errors: [LineError], unlisted: Int = 0) {
            self.errors = errors
            self.unlisted = unlisted
        }

        package var description: String {
            var lines = errors.map(\.description)
            if unlisted > 0 { lines.append("… and \(unlisted) more bad line\(unlisted == 1 ? "" : "s")") }
            return lines.joined(separator: "\n")
        }
    }

    /// Where each required column is in the file's header.
    package struct Columns: Sendable {
        let count: Int
        let distributor, invoice, date, manufacturerInvoice, manufacturer, institution, drug, lot, quantity, price, amount: Int

        /// Reads the header record: every required column must be there, under its name or its Chinese header
        /// (extra columns are ignored).
        package init(header record: CSVRecord) throws(Rejected) {
            let header = record.fields.map(ImportTemplate.columnName)
            let index = Dictionary(header.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            let missing = InvoiceFile.columns.filter { index[$0] == nil }
            guard missing.isEmpty else {
                throw Rejected(errors: [
                    LineError(
                        line: record.line,
                        reason: "the invoice file lacks the column(s) \(missing.joined(separator: ", "))")
                ])
            }
            count = header.count
            distributor = index["distributor_code"]!
            invoice = index["invoice_number"]!
            date = index["invoice_date"]!
            manufacturerInvoice = index["manufacturer_invoice_number"]!
            manufacturer = index["manufacturer_code"]!
            institution = index["institution_code"]!
            drug = index["drug_code"]!
            lot = index["lot_number"]!
            quantity = index["quantity"]!
            price = index["unit_price"]!
            amount = index["amount"]!
        }
    }

    static let epoch = BusinessDate("1970-01-01")!

    /// Judges one record of the file: the line it becomes, or every reason it is bad, joined.
    package static func validate(_ row: CSVRecord, _ columns: Columns) -> Result<InvoiceFileLine, LineError> {
        guard row.fields.count == columns.count else {
            return .failure(LineError(line: row.line, reason: "\(row.fields.count) fields where the header has \(columns.count)"))
        }
        var reasons: [String] = []
        func tooLong(_ v: String, _ max: Int) -> Bool { v.utf8.count > max && v.count > max }
        /// `damage` says what a spreadsheet broke in a code (`SpreadsheetCell`).
        func required(
            _ column: Int, _ name: String, max: Int = 50, damage: (String) -> String? = SpreadsheetCell.codeDamage
        ) -> String {
            guard let v = row.trimmedValue(column) else { reasons.append("\(name) is missing"); return "" }
            if let broken = damage(v) { reasons.append("\(name) \(broken)") }
            if tooLong(v, max) { reasons.append("\(name) is longer than \(max) characters") }
            return v
        }
        func optional(_ column: Int, _ name: String, damage: (String) -> String? = SpreadsheetCell.codeDamage) -> String? {
            guard let v = row.trimmedValue(column) else { return nil }
            if let broken = damage(v) { reasons.append("\(name) \(broken)") }
            if tooLong(v, 50) { reasons.append("\(name) is longer than 50 characters") }
            return v
        }
        func amount(_ column: Int, _ name: String, decimals: Int, positive: Bool) -> Decimal {
            guard let raw = row.trimmedValue(column) else { reasons.append("\(name) is missing"); return 0 }
            guard let m = SpreadsheetCell.number(raw).flatMap({ Money($0, maxDecimals: decimals) }), !positive || m.amount > 0
            else {
                reasons.append("\(name) '\(raw)' is not a \(positive ? "positive " : "")number with at most \(decimals) decimals")
                return 0
            }
            return m.amount
        }
        let distributor = required(columns.distributor, "distributor_code")
        let invoice = required(columns.invoice, "invoice_number", damage: SpreadsheetCell.invoiceNumberDamage)
        var date = epoch
        if let raw = row.trimmedValue(columns.date) {
            if let d = SpreadsheetCell.date(raw) {
                date = d
            } else {
                reasons.append("invoice_date '\(raw)' is not a date YYYY-MM-DD")
            }
        } else {
            reasons.append("invoice_date is missing")
        }
        let manufacturerInvoice = optional(
            columns.manufacturerInvoice, "manufacturer_invoice_number", damage: SpreadsheetCell.invoiceNumberDamage)
        let manufacturer = optional(columns.manufacturer, "manufacturer_code")
        let institution = required(columns.institution, "institution_code")
        let drug = required(columns.drug, "drug_code")
        let lot = required(columns.lot, "lot_number")
        let quantity = amount(columns.quantity, "quantity", decimals: 3, positive: true)
        let price = amount(columns.price, "unit_price", decimals: 4, positive: true)
        let total = amount(columns.amount, "amount", decimals: 4, positive: false)
        guard reasons.isEmpty else { return .failure(LineError(line: row.line, reason: reasons.joined(separator: "; "))) }
        return .success(
            InvoiceFileLine(
                lineNumber: row.line, distributorCode: distributor, invoiceNumber: invoice, invoiceDate: date,
                manufacturerInvoiceNumber: manufacturerInvoice, manufacturerCode: manufacturer, institutionCode: institution,
                drugCode: drug, lotNumber: lot, quantity: quantity, unitPrice: Money(price), amount: Money(total)))
    }

    /// Every line of a file in memory (small files; `ReconcileInvoices` streams).
    package static func parse(_ data: Data, encoding: Encoding) throws(Rejected) -> [InvoiceFileLine] {
        var reader = InvoiceFileReader(encoding: encoding)
        var lines: [InvoiceFileLine] = []
        data.withUnsafeBytes { reader.feed($0) { lines.append($0) } }
        reader.finish { lines.append($0) }
        try reader.verdict()
        return lines
    }
}

/// Reads an invoice file chunk by chunk: the header, then each record validated by `InvoiceFile.validate`. Good
/// lines go to the caller as they are read; bad ones are collected (the first `maxListedErrors`, then counted).
package struct InvoiceFileReader {
    package static let maxListedErrors = 1000

    var parser: CSVStreamParser
    var columns: InvoiceFile.Columns?
    /// A fault of the whole file (no header, missing columns): nothing after it is read.
    var fatal: InvoiceFile.Rejected?
    package private(set) var errors: [InvoiceFile.LineError] = []
    package private(set) var badLines = 0
    package private(set) var goodLines = 0

    package init(encoding: InvoiceFile.Encoding) {
        parser = CSVStreamParser(encoding: encoding.csv)
    }

    /// The physical lines read so far.
    package var linesRead: Int { parser.line - 1 }
    /// Whether a bad line or a fault of the file was found: nothing of it may be kept.
    package var failed: Bool { fatal != nil || badLines > 0 }

    package mutating func feed(_ bytes: UnsafeRawBufferPointer, _ good: (InvoiceFileLine) throws -> Void) rethrows {
        guard fatal == nil else { return }
        // The parser is taken out while it calls back into `take`, which changes the rest of the reader.
        var parser = self.parser
        self.parser = CSVStreamParser(encoding: parser.encoding)
        defer { self.parser = parser }
        try parser.feed(bytes) { try take($0, good) }
    }

    package mutating func finish(_ good: (InvoiceFileLine) throws -> Void) rethrows {
        guard fatal == nil else { return }
        var parser = self.parser
        self.parser = CSVStreamParser(encoding: parser.encoding)
        defer { self.parser = parser }
        try parser.finish { try take($0, good) }
    }

    /// Throws what was wrong with the file, all of it; returns when every line was good.
    package func verdict() throws(InvoiceFile.Rejected) {
        if let fatal { throw fatal }
        guard columns != nil else {
            throw InvoiceFile.Rejected(errors: [InvoiceFile.LineError(line: 1, reason: "the invoice file is empty")])
        }
        guard badLines == 0 else { throw InvoiceFile.Rejected(errors: errors, unlisted: badLines - errors.count) }
        guard goodLines > 0 else {
            throw InvoiceFile.Rejected(errors: [InvoiceFile.LineError(line: 2, reason: "the file has no lines")])
        }
    }

    private mutating func take(_ item: CSVStreamParser.Item, _ good: (InvoiceFileLine) throws -> Void) rethrows {
        guard fatal == nil else { return }
        guard let columns else {
            switch item {
            case .malformed(let line, let reason):
                fatal = InvoiceFile.Rejected(errors: [InvoiceFile.LineError(line: line, reason: reason)])
            case .record(let header):
                do { self.columns = try InvoiceFile.Columns(header: header) } catch { fatal = error }
            }
            return
        }
        switch item {
        case .malformed(let line, let reason):
            bad(InvoiceFile.LineError(line: line, reason: reason))
        case .record(let record):
            switch InvoiceFile.validate(record, columns) {
            case .success(let line):
                goodLines += 1
                try good(line)
            case .failure(let error):
                bad(error)
            }
        }
    }

    private mutating func bad(_ error: InvoiceFile.LineError) {
        badLines += 1
        if errors.count < Self.maxListedErrors { errors.append(error) }
    }
}
