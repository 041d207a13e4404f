import Foundation
import RxDomain
#if canImport(CoreFoundation)
import CoreFoundation
#endif

/// A distributor's invoice file: decoded (UTF-8 or GBK), read as CSV and checked line by line before anything
/// touches the database. Every bad line is reported with its number.
public enum InvoiceFile {
    public static let columns = [
        "distributor_code", "invoice_number", "invoice_date", "manufacturer_invoice_number", "manufacturer_code",
        "institution_code", "drug_code", "lot_number", "quantity", "unit_price", "amount",
    ]

    public enum Encoding: String, Sendable, CaseIterable {
        case utf8 = "utf-8"
        case gbk

        /// GBK is read as GB 18030, its superset.
        var foundation: String.Encoding {
            switch self {
            case .utf8: .utf8
            case .gbk:
                String.Encoding(rawValue: CFStringConvertEncodingToNSStringEncoding(
                    CFStringEncoding(CFStringEncodings.GB_18030_2000.rawValue)))
            }
        }
    }

    public struct LineError: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    /// Bad input: the file is not decodable, not CSV with the columns, or has bad lines (all of them listed).
    public struct Rejected: Error, Sendable, CustomStringConvertible {
        public var errors: [LineError]
        public var description: String { errors.map(\.description).joined(separator: "\n") }
    }

    public static func decode(_ data: Data, encoding: Encoding) throws(Rejected) -> String {
        guard let text = String(data: data, encoding: encoding.foundation) else {
            throw Rejected(errors: [LineError(line: 1, reason: "the file is not \(encoding.rawValue) text")])
        }
        return text
    }

    public static func parse(_ text: String) throws(Rejected) -> [InvoiceFileLine] {
        let table: CSVTable
        do {
            table = try CSVTable(text: text, requiredColumns: columns, file: "the invoice file")
        } catch let error as CSVReader.Malformed {
            throw Rejected(errors: [LineError(line: error.line, reason: error.reason)])
        } catch {
            throw Rejected(errors: [LineError(line: 1, reason: "\(error)")])
        }
        var errors: [LineError] = []
        var lines: [InvoiceFileLine] = []
        for row in table.rows {
            var reasons: [String] = []
            func required(_ column: String, max: Int = 50) -> String {
                guard let v = table.value(row, column) else { reasons.append("\(column) is missing"); return "" }
                if v.count > max { reasons.append("\(column) is longer than \(max) characters") }
                return v
            }
            func optional(_ column: String) -> String? {
                guard let v = table.value(row, column) else { return nil }
                if v.count > 50 { reasons.append("\(column) is longer than 50 characters") }
                return v
            }
            func amount(_ column: String, decimals: Int, positive: Bool) -> Decimal {
                guard let raw = table.value(row, column) else { reasons.append("\(column) is missing"); return 0 }
                guard let m = Money(raw, maxDecimals: decimals), !positive || m.amount > 0 else {
                    reasons.append("\(column) '\(raw)' is not a \(positive ? "positive " : "")number with at most \(decimals) decimals")
                    return 0
                }
                return m.amount
            }
            let distributor = required("distributor_code")
            let invoice = required("invoice_number")
            var date = BusinessDate("1970-01-01")!
            if let raw = table.value(row, "invoice_date") {
                if let d = BusinessDate(raw) { date = d } else { reasons.append("invoice_date '\(raw)' is not a date YYYY-MM-DD") }
            } else {
                reasons.append("invoice_date is missing")
            }
            let manufacturerInvoice = optional("manufacturer_invoice_number")
            let manufacturer = optional("manufacturer_code")
            let institution = required("institution_code")
            let drug = required("drug_code")
            let lot = required("lot_number")
            let quantity = amount("quantity", decimals: 3, positive: true)
            let price = amount("unit_price", decimals: 4, positive: true)
            let total = amount("amount", decimals: 4, positive: false)
            guard reasons.isEmpty else {
                errors.append(LineError(line: row.line, reason: reasons.joined(separator: "; ")))
                continue
            }
            lines.append(InvoiceFileLine(
                lineNumber: row.line, distributorCode: distributor, invoiceNumber: invoice, invoiceDate: date,
                manufacturerInvoiceNumber: manufacturerInvoice, manufacturerCode: manufacturer, institutionCode: institution,
                drugCode: drug, lotNumber: lot, quantity: quantity, unitPrice: Money(price), amount: Money(total)))
        }
        guard errors.isEmpty else { throw Rejected(errors: errors) }
        guard !lines.isEmpty else { throw Rejected(errors: [LineError(line: 2, reason: "the file has no lines")]) }
        return lines
    }
}
