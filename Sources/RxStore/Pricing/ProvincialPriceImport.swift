import Foundation
import Logging
import PostgresNIO
import RxDomain

/// Loads a provincial winning-bid price list (CSV: drug_code, unit_price, price_unit, bid_reference,
/// effective_from) for a consortium. The whole file goes in one transaction: any bad line changes nothing,
/// and every bad line is reported with its number. Importing the same file again changes nothing.
public struct ProvincialPriceImport: Sendable {
    public static let columns = ["drug_code", "unit_price", "price_unit", "bid_reference", "effective_from"]

    public struct LineError: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    /// Every bad line of a file.
    public struct Rejected: Error, Sendable, CustomStringConvertible {
        public var errors: [LineError]
        public var description: String { errors.map(\.description).joined(separator: "\n") }
    }

    public struct Summary: Sendable, Equatable {
        public var lines = 0
        public var imported = 0
        public var unchanged = 0
    }

    let database: Database
    let prices: PriceStore
    var logger: Logger { database.logger }

    public init(database: Database) {
        self.database = database
        self.prices = PriceStore(database: database)
    }

    struct Line { var number: Int; var draft: PriceAgreementDraft }

    /// Reads and checks every line before anything is written.
    func parse(_ text: String) throws -> [Line] {
        let table: CSVTable
        do {
            table = try CSVTable(text: text, requiredColumns: Self.columns, file: "the price list")
        } catch let error as CSVReader.Malformed {
            throw Rejected(errors: [LineError(line: error.line, reason: error.reason)])
        }
        var errors: [LineError] = []
        var lines: [Line] = []
        var seen: [String: Int] = [:]
        for row in table.rows {
            var reasons: [String] = []
            let code = table.value(row, "drug_code") ?? ""
            if let e = Codes.drugCodeError(code) { reasons.append("drug_code \(e)") }
            let price = table.value(row, "unit_price").flatMap { Money($0) }
            if price == nil || price!.amount <= 0 {
                reasons.append("unit_price '\(table.value(row, "unit_price") ?? "")' is not a positive amount with at most four decimals")
            }
            let rawUnit = table.value(row, "price_unit") ?? ""
            let unit: PriceUnit? = rawUnit == "kg" ? .unit : PriceUnit(rawValue: rawUnit)
            if unit == nil { reasons.append("price_unit '\(rawUnit)' is not package, unit or kg") }
            let reference = table.value(row, "bid_reference") ?? ""
            if reference.isEmpty || reference.count > 100 { reasons.append("bid_reference is required (at most 100 characters)") }
            let from = table.value(row, "effective_from").flatMap(BusinessDate.init)
            if from == nil { reasons.append("effective_from '\(table.value(row, "effective_from") ?? "")' is not a date YYYY-MM-DD") }
            if let from, reasons.isEmpty {
                let key = "\(code)|\(from)"
                if let first = seen[key] {
                    reasons.append("\(code) from \(from) is already priced on line \(first)")
                }
                seen[key] = row.line
            }
            if !reasons.isEmpty {
                errors.append(LineError(line: row.line, reason: reasons.joined(separator: "; ")))
                continue
            }
            lines.append(Line(number: row.line, draft: PriceAgreementDraft(
                drugCode: code, unitPrice: price!, priceUnit: unit!, source: .provincialBid, reference: reference,
                effectiveFrom: from!)))
        }
        guard errors.isEmpty else { throw Rejected(errors: errors) }
        return lines
    }

    public func run(text: String, consortiumCode: String, actor: Actor) async throws -> Summary {
        let lines = try parse(text)
        return try await database.transaction { connection in
            try await apply(lines, consortiumCode: consortiumCode, actor: actor, connection: connection)
        }
    }

    func apply(_ lines: [Line], consortiumCode: String, actor: Actor, connection: PostgresConnection) async throws -> Summary {
        guard let consortiumID = try await connection.row(
            "SELECT id FROM consortia WHERE code = \(consortiumCode)", as: Int64.self, logger: logger)
        else { throw DomainError.notFound("no consortium \(consortiumCode)") }
        let knownCodes: [String] = try await connection.rows(
            "SELECT code FROM drugs WHERE code = ANY(\(lines.map(\.draft.drugCode)))", as: String.self, logger: logger)
        let known = Set(knownCodes)
        let unknown = lines.filter { !known.contains($0.draft.drugCode) }
        guard unknown.isEmpty else {
            throw Rejected(errors: unknown.map { LineError(line: $0.number, reason: "no drug \($0.draft.drugCode)") })
        }
        var summary = Summary(lines: lines.count)
        var errors: [LineError] = []
        for line in lines {
            let d = line.draft
            try await prices.lockDrug(consortiumID: consortiumID, drugCode: d.drugCode, connection: connection)
            if let existing = try await connection.row(
                """
                SELECT unit_price, price_unit FROM price_agreements
                WHERE consortium_id = \(consortiumID) AND source = 'provincial_bid' AND drug_code = \(d.drugCode)
                  AND requested_from = \(d.effectiveFrom.description)::date AND reference = \(d.reference)
                """, as: (Decimal, String).self, logger: logger)
            {
                if Money(existing.0) == d.unitPrice && existing.1 == d.priceUnit.rawValue {
                    summary.unchanged += 1
                } else {
                    errors.append(LineError(
                        line: line.number,
                        reason: "\(d.reference) was imported for \(d.drugCode) from \(d.effectiveFrom) at \(Money(existing.0)) per \(existing.1)"))
                }
                continue
            }
            guard let id = try await connection.row(
                """
                INSERT INTO price_agreements (consortium_id, drug_code, unit_price, price_unit, source, reference, requested_from, status)
                VALUES (\(consortiumID), \(d.drugCode), \(d.unitPrice.amount), \(d.priceUnit.rawValue), 'provincial_bid',
                        \(d.reference), \(d.effectiveFrom.description)::date, 'agreed')
                RETURNING id
                """, as: Int64.self, logger: logger)
            else { continue }
            let agreement = try await prices.agreement(id: id, consortiumID: consortiumID, connection: connection)
            try await prices.setCeiling(d, consortiumID: consortiumID, connection: connection)
            try await prices.takeEffect(agreement, from: d.effectiveFrom, consortiumID: consortiumID, connection: connection)
            let after = try await prices.agreement(id: id, consortiumID: consortiumID, connection: connection)
            try await AuditLog(logger: logger).record(
                on: connection, consortiumID: consortiumID, actor: actor, action: "import",
                entityType: "price_agreement", entityKey: String(id), before: PriceAgreement?.none, after: after)
            summary.imported += 1
        }
        guard errors.isEmpty else { throw Rejected(errors: errors) }
        return summary
    }
}
