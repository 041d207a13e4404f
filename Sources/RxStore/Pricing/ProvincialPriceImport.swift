import Foundation
import Logging
import PostgresNIO
import RxDomain

/// Loads a provincial winning-bid price list (CSV: drug_code, unit_price, price_unit, bid_reference,
/// effective_from) for a consortium. The whole file goes in one transaction: any bad line changes nothing,
/// and every bad line is reported with its number in one run, whatever makes it bad (a malformed field, a drug
/// the database does not know, a conflict with an earlier import). Importing the same file again changes nothing.
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

    /// A file read: its good lines, the reasons of its bad lines, and the drug code of every line whose code is
    /// well formed (bad lines too: an unknown drug is reported beside a malformed price).
    struct Parsed {
        var lines: [Line] = []
        var errors: [LineError] = []
        var codes: [(line: Int, code: String)] = []
    }

    /// Every bad line of the file, in line order, each line's reasons together.
    static func merged(_ errors: [LineError]) -> [LineError] {
        var reasons: [Int: [String]] = [:]
        for error in errors { reasons[error.line, default: []].append(error.reason) }
        return reasons.keys.sorted().map { LineError(line: $0, reason: reasons[$0]!.joined(separator: "; ")) }
    }

    /// The good lines of a file whose every line is well formed (the seed's reading); else throws every bad line.
    func parse(_ text: String) throws -> [Line] {
        let parsed = try read(text)
        guard parsed.errors.isEmpty else { throw Rejected(errors: parsed.errors) }
        return parsed.lines
    }

    /// Reads and checks every line before anything is written; throws only for a file that cannot be read as a table.
    func read(_ text: String) throws -> Parsed {
        let table: CSVTable
        do {
            table = try CSVTable(text: text, requiredColumns: Self.columns, file: "the price list", reportRagged: true)
        } catch let error as CSVReader.Malformed {
            throw Rejected(errors: [LineError(line: error.line, reason: error.reason)])
        }
        var parsed = Parsed()
        parsed.errors = table.ragged.map { LineError(line: $0.line, reason: $0.reason) }
        var seen: [String: Int] = [:]
        for row in table.rows {
            var reasons: [String] = []
            let code = table.value(row, "drug_code") ?? ""
            if let e = Codes.drugCodeError(code) {
                reasons.append("drug_code \(e)")
            } else {
                parsed.codes.append((row.line, code))
            }
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
                parsed.errors.append(LineError(line: row.line, reason: reasons.joined(separator: "; ")))
                continue
            }
            parsed.lines.append(Line(number: row.line, draft: PriceAgreementDraft(
                drugCode: code, unitPrice: price!, priceUnit: unit!, source: .provincialBid, reference: reference,
                effectiveFrom: from!)))
        }
        return parsed
    }

    public func run(text: String, consortiumCode: String, actor: Actor) async throws -> Summary {
        let parsed = try read(text)
        return try await database.transaction { connection in
            try await apply(parsed, consortiumCode: consortiumCode, actor: actor, connection: connection)
        }
    }

    func apply(_ lines: [Line], consortiumCode: String, actor: Actor, connection: PostgresConnection) async throws -> Summary {
        try await apply(
            Parsed(lines: lines, errors: [], codes: lines.map { ($0.number, $0.draft.drugCode) }),
            consortiumCode: consortiumCode, actor: actor, connection: connection)
    }

    /// Checks the lines against the database (known drugs, earlier imports) and writes them only when no line of
    /// the file is bad; otherwise throws every bad line with all its reasons.
    func apply(_ parsed: Parsed, consortiumCode: String, actor: Actor, connection: PostgresConnection) async throws -> Summary {
        guard let consortiumID = try await connection.row(
            "SELECT id FROM consortia WHERE code = \(consortiumCode)", as: Int64.self, logger: logger)
        else { throw DomainError.notFound("no consortium \(consortiumCode)") }
        let knownCodes: [String] = try await connection.rows(
            "SELECT code FROM drugs WHERE code = ANY(\(parsed.codes.map(\.code)))", as: String.self, logger: logger)
        let known = Set(knownCodes)
        var errors = parsed.errors
        errors += parsed.codes.filter { !known.contains($0.code) }.map { LineError(line: $0.line, reason: "no drug \($0.code)") }
        let lines = parsed.lines.filter { known.contains($0.draft.drugCode) }
        // Write only a file without a bad line; otherwise keep checking, so one run names them all.
        let writing = errors.isEmpty
        var summary = Summary(lines: parsed.lines.count)
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
            guard writing else { continue }
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
        guard errors.isEmpty else { throw Rejected(errors: Self.merged(errors)) }
        return summary
    }
}
