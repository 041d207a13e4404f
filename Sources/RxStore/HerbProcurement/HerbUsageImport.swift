import Foundation
import Logging
import PostgresNIO
import RxDomain

/// Loads members' prior-year usage of decoction pieces (CSV: institution_code, drug_code, year, quantity_kg) for a
/// consortium. One transaction: any bad line changes nothing, every bad line is reported with its number. A line
/// already loaded with the same quantity changes nothing; a corrected quantity replaces the old one (audited).
public struct HerbUsageImport: Sendable {
    public static let columns = ["institution_code", "drug_code", "quantity_kg"]

    public typealias LineError = ProvincialPriceImport.LineError
    public typealias Rejected = ProvincialPriceImport.Rejected

    public struct Summary: Sendable, Equatable {
        public var lines = 0
        public var imported = 0
        public var updated = 0
        public var unchanged = 0
    }

    struct Line: Encodable { var number: Int; var institutionCode: String; var drugCode: String; var year: Int; var quantityKg: Decimal }

    let database: Database
    var logger: Logger { database.logger }

    public init(database: Database) { self.database = database }

    /// Reads and checks every line before anything is written. Without a `year` column, `year` gives it; with both,
    /// they must agree.
    func parse(_ text: String, year: Int?) throws -> [Line] {
        let table: CSVTable
        do {
            table = try CSVTable(text: text, requiredColumns: Self.columns + (year == nil ? ["year"] : []), file: "the usage file")
        } catch let error as CSVReader.Malformed {
            throw Rejected(errors: [LineError(line: error.line, reason: error.reason)])
        }
        var errors: [LineError] = []
        var lines: [Line] = []
        var seen: [String: Int] = [:]
        for row in table.rows {
            var reasons: [String] = []
            let institution = table.value(row, "institution_code") ?? ""
            if institution.isEmpty { reasons.append("institution_code is required") }
            let drug = table.value(row, "drug_code") ?? ""
            if let e = Codes.drugCodeError(drug) { reasons.append("drug_code \(e)") }
            var lineYear = year
            if let text = table.value(row, "year") {
                if let y = Int(text), (2000...2100).contains(y) {
                    if let year, year != y { reasons.append("year \(y) is not the year \(year) being imported") }
                    lineYear = y
                } else {
                    reasons.append("year '\(text)' is not a year")
                }
            } else if year == nil {
                reasons.append("year is required")
            }
            let quantityText = table.value(row, "quantity_kg") ?? ""
            let quantity = Money(quantityText, maxDecimals: 3)?.amount
            if quantity == nil { reasons.append("quantity_kg '\(quantityText)' is not a quantity with at most three decimals") }
            if reasons.isEmpty, let lineYear {
                let key = "\(institution)|\(drug)|\(lineYear)"
                if let first = seen[key] { reasons.append("\(institution) \(drug) \(lineYear) is already on line \(first)") }
                seen[key] = row.line
            }
            guard reasons.isEmpty, let lineYear, let quantity else {
                errors.append(LineError(line: row.line, reason: reasons.joined(separator: "; ")))
                continue
            }
            lines.append(Line(number: row.line, institutionCode: institution, drugCode: drug, year: lineYear, quantityKg: quantity))
        }
        guard errors.isEmpty else { throw Rejected(errors: errors) }
        return lines
    }

    public func run(text: String, consortiumCode: String, year: Int?, actor: Actor) async throws -> Summary {
        let lines = try parse(text, year: year)
        return try await database.transaction { connection in
            try await apply(lines, consortiumCode: consortiumCode, actor: actor, connection: connection)
        }
    }

    func apply(_ lines: [Line], consortiumCode: String, actor: Actor, connection: PostgresConnection) async throws -> Summary {
        guard let consortiumID = try await connection.row(
            "SELECT id FROM consortia WHERE code = \(consortiumCode)", as: Int64.self, logger: logger)
        else { throw DomainError.notFound("no consortium \(consortiumCode)") }
        let institutions = Dictionary(
            try await connection.rows(
                "SELECT code, id FROM institutions WHERE consortium_id = \(consortiumID)", as: (String, Int64).self, logger: logger),
            uniquingKeysWith: { a, _ in a })
        let pieceCodes: [String] = try await connection.rows(
            """
            SELECT code FROM drugs WHERE code = ANY(\(lines.map(\.drugCode))) AND category = 'decoction_piece' AND unit = 'kg'
            """, as: String.self, logger: logger)
        let pieces = Set(pieceCodes)
        var errors: [LineError] = []
        for line in lines {
            var reasons: [String] = []
            if institutions[line.institutionCode] == nil { reasons.append("no institution \(line.institutionCode) in \(consortiumCode)") }
            if !pieces.contains(line.drugCode) { reasons.append("\(line.drugCode) is not a decoction piece counted in kg") }
            if !reasons.isEmpty { errors.append(LineError(line: line.number, reason: reasons.joined(separator: "; "))) }
        }
        guard errors.isEmpty else { throw Rejected(errors: errors) }
        var summary = Summary(lines: lines.count)
        for line in lines {
            let institutionID = institutions[line.institutionCode]!
            let before = try await connection.row(
                """
                SELECT quantity_kg FROM herb_usage WHERE consortium_id = \(consortiumID) AND institution_id = \(institutionID)
                  AND drug_code = \(line.drugCode) AND year = \(line.year) FOR UPDATE
                """, as: Decimal.self, logger: logger)
            if before == line.quantityKg {
                summary.unchanged += 1
                continue
            }
            try await connection.run(
                """
                INSERT INTO herb_usage (consortium_id, institution_id, drug_code, year, quantity_kg)
                VALUES (\(consortiumID), \(institutionID), \(line.drugCode), \(line.year), \(line.quantityKg))
                ON CONFLICT (consortium_id, institution_id, drug_code, year)
                DO UPDATE SET quantity_kg = EXCLUDED.quantity_kg, updated_at = now()
                """, logger: logger)
            struct Usage: Encodable { var institutionCode: String; var drugCode: String; var year: Int; var quantityKg: Decimal }
            try await AuditLog(logger: logger).record(
                on: connection, consortiumID: consortiumID, actor: actor, action: before == nil ? "import" : "update",
                entityType: "herb_usage", entityKey: "\(line.institutionCode):\(line.drugCode):\(line.year)",
                before: before.map { Usage(institutionCode: line.institutionCode, drugCode: line.drugCode, year: line.year, quantityKg: $0) },
                after: Usage(institutionCode: line.institutionCode, drugCode: line.drugCode, year: line.year, quantityKg: line.quantityKg))
            if before == nil { summary.imported += 1 } else { summary.updated += 1 }
        }
        return summary
    }
}
