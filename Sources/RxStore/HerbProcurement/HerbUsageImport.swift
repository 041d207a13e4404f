import Foundation
import Logging
import NIOCore
import PostgresNIO
import RxDomain

/// Loads members' prior-year usage of decoction pieces (CSV: institution_code, drug_code, year, quantity_kg) for a
/// consortium. One transaction: any bad line changes nothing, every bad line is reported with its number in one run.
/// A line already loaded with the same quantity changes nothing; a corrected quantity replaces the old one (audited).
///
/// Like `ProvincialPriceImport`: the file is streamed into a temporary table with each line's reasons as read, the
/// lines are checked against the database in one query (members, pieces, a member's piece and year twice in the
/// file), and the changed lines are written, with their audit rows, by one statement. `HerbUsageImportUseCases` runs
/// these steps in order, in a transaction of its own or in the seed's.
package struct HerbUsageImport: Sendable {
    package static let columns = ["institution_code", "drug_code", "quantity_kg"]

    package typealias LineError = ProvincialPriceImport.LineError
    package typealias Rejected = ProvincialPriceImport.Rejected

    package struct Summary: Sendable, Equatable {
        package var lines = 0
        package var imported = 0
        package var updated = 0
        package var unchanged = 0
    }

    let database: Database
    var logger: Logger { database.logger }

    package init(database: Database) { self.database = database }

    static let table = "import_usage_lines"
    static let copyColumns = ["line_number", "institution_code", "drug_code", "year", "quantity_kg", "reasons"]

    /// Streams the file into the temporary staging table, each line with its reasons as read; the number of lines.
    /// Without a `year` column, `year` gives it; with both, they must agree. A file that cannot be read as CSV at
    /// all throws `StagedCSV.Unreadable`.
    package func stage(_ input: FileInput, encoding: FileEncoding, year: Int?, on connection: PostgresConnection) async throws
        -> Int
    {
        try await connection.run(
            """
            CREATE TEMPORARY TABLE import_usage_lines (
                line_number int NOT NULL, institution_code text, drug_code text, year int, quantity_kg numeric, reasons text
            ) ON COMMIT DROP
            """, logger: logger)
        let lines = try await StagedCSV.copy(
            input, encoding: encoding, file: "the usage file", required: Self.columns + (year == nil ? ["year"] : []),
            table: Self.table, columns: Self.copyColumns, connection: connection, logger: logger,
            stage: { Self.stage($0, year: year) })
        try await connection.run("ANALYZE import_usage_lines", logger: logger)
        return lines
    }

    package func dropStaging(on connection: PostgresConnection) async throws {
        try await connection.run("DROP TABLE import_usage_lines", logger: logger)
    }

    /// Checks a line as read and writes its staged columns: each field when good (NULL when not), and the reasons.
    static func stage(_ header: CSVHeader, year: Int?) -> StagedCSV.RowWriter {
        let (institutionColumn, drugColumn, yearColumn, quantityColumn) = (
            header["institution_code"]!, header["drug_code"]!, header["year"], header["quantity_kg"]!
        )
        return { row, buffer in
            var reasons: [String] = []
            let institution = row.trimmedValue(institutionColumn)
            if institution == nil { reasons.append("institution_code is required") }
            CopyText.field(institution, to: &buffer)
            let drug = row.trimmedValue(drugColumn) ?? ""
            if let e = SpreadsheetCell.codeDamage(drug) ?? Codes.drugCodeError(drug) {
                reasons.append("drug_code \(e)")
                CopyText.field(nil, to: &buffer)
            } else {
                CopyText.field(drug, to: &buffer)
            }
            var lineYear = year
            if let text = yearColumn.flatMap({ row.trimmedValue($0) }) {
                if let y = Int(text), (2000...2100).contains(y) {
                    if let year, year != y { reasons.append("year \(y) is not the year \(year) being imported") }
                    lineYear = y
                } else {
                    lineYear = nil
                    reasons.append("year '\(text)' is not a year")
                }
            } else if year == nil {
                reasons.append("year is required")
            }
            CopyText.field(lineYear.map(String.init), to: &buffer)
            let quantityText = row.trimmedValue(quantityColumn) ?? ""
            if let quantity = SpreadsheetCell.number(quantityText).flatMap({ Money($0, maxDecimals: 3)?.amount }) {
                CopyText.field(DecimalText.plain(quantity), to: &buffer)
            } else {
                reasons.append("quantity_kg '\(quantityText)' is not a quantity with at most three decimals")
                CopyText.field(nil, to: &buffer)
            }
            CopyText.reasons(reasons, to: &buffer)
        }
    }

    /// Every bad line, nil when there is none: its reasons as read, a member's piece and year on an earlier line (the
    /// `herb_usage` key), a member not of the consortium, a drug that is not a decoction piece counted in kg.
    package func badLines(consortiumID: Int64, consortiumCode: String, on connection: PostgresConnection) async throws
        -> Rejected?
    {
        let rows = try await connection.stream(
            """
            WITH s AS (
                SELECT s.*, CASE WHEN s.reasons IS NULL THEN lag(s.line_number) OVER (
                    PARTITION BY s.reasons IS NULL, s.institution_code, s.drug_code, s.year ORDER BY s.line_number) END AS earlier
                FROM import_usage_lines s
            )
            SELECT s.line_number, s.reasons, s.institution_code, s.drug_code, s.year, s.earlier,
                   s.institution_code IS NOT NULL AND i.id IS NULL, s.drug_code IS NOT NULL AND d.code IS NULL,
                   count(*) OVER ()::int
            FROM s
            LEFT JOIN institutions i ON i.consortium_id = \(consortiumID) AND i.code = s.institution_code
            LEFT JOIN drugs d ON d.code = s.drug_code AND d.category = 'decoction_piece' AND d.unit = 'kg'
            WHERE s.reasons IS NOT NULL OR s.earlier IS NOT NULL
               OR (s.institution_code IS NOT NULL AND i.id IS NULL) OR (s.drug_code IS NOT NULL AND d.code IS NULL)
            ORDER BY s.line_number
            LIMIT \(ProvincialPriceImport.maxListedErrors)
            """, logger: logger)
        var errors: [LineError] = []
        var total = 0
        for try await r in rows.decode((Int, String?, String?, String?, Int?, Int?, Bool, Bool, Int).self) {
            var reasons = r.1.map { [$0] } ?? []
            let (institution, drug) = (r.2 ?? "", r.3 ?? "")
            if let earlier = r.5 {
                reasons.append("\(institution) \(drug) \(r.4.map(String.init) ?? "") is already on line \(earlier)")
            }
            if r.6 { reasons.append("no institution \(institution) in \(consortiumCode)") }
            if r.7 { reasons.append("\(drug) is not a decoction piece counted in kg") }
            errors.append(LineError(line: r.0, reason: reasons.joined(separator: "; ")))
            total = r.8
        }
        return errors.isEmpty ? nil : Rejected(errors: errors, unlisted: total - errors.count)
    }

    /// Writes the lines whose quantity is new or changed and their audit rows, in one statement: the counts of new
    /// and changed lines. New lines are audited "import" without a before, changed ones "update" with it; the
    /// entries hold what `AuditLog.encoder` would write for a usage (`institutionCode`, `drugCode`, `year`,
    /// `quantityKg`), built by PostgreSQL so no line makes a round trip.
    package func apply(consortiumID: Int64, actor: Actor, connection: PostgresConnection) async throws -> Summary {
        guard
            let counts = try await connection.row(
                """
                WITH changed AS MATERIALIZED (
                    SELECT s.line_number, s.institution_code, i.id AS institution_id, s.drug_code, s.year,
                           trim_scale(s.quantity_kg) AS quantity_kg, trim_scale(h.quantity_kg) AS before_kg
                    FROM import_usage_lines s
                    JOIN institutions i ON i.consortium_id = \(consortiumID) AND i.code = s.institution_code
                    LEFT JOIN herb_usage h ON h.consortium_id = \(consortiumID) AND h.institution_id = i.id
                                          AND h.drug_code = s.drug_code AND h.year = s.year
                    WHERE h.quantity_kg IS DISTINCT FROM s.quantity_kg
                ), written AS (
                    INSERT INTO herb_usage (consortium_id, institution_id, drug_code, year, quantity_kg)
                    SELECT \(consortiumID), institution_id, drug_code, year, quantity_kg FROM changed
                    ON CONFLICT (consortium_id, institution_id, drug_code, year)
                    DO UPDATE SET quantity_kg = EXCLUDED.quantity_kg, updated_at = now()
                ), audited AS (
                    INSERT INTO audit_log (consortium_id, actor_token_id, actor, actor_role, action, entity_type, entity_key,
                                           before, after)
                    SELECT \(consortiumID), \(actor.tokenID), \(actor.label), \(actor.role),
                           CASE WHEN before_kg IS NULL THEN 'import' ELSE 'update' END, 'herb_usage',
                           institution_code || ':' || drug_code || ':' || year,
                           CASE WHEN before_kg IS NOT NULL THEN jsonb_build_object(
                               'institutionCode', institution_code, 'drugCode', drug_code, 'year', year, 'quantityKg', before_kg) END,
                           jsonb_build_object(
                               'institutionCode', institution_code, 'drugCode', drug_code, 'year', year, 'quantityKg', quantity_kg)
                    FROM changed ORDER BY line_number
                )
                SELECT (count(*) FILTER (WHERE before_kg IS NULL))::int, (count(*) FILTER (WHERE before_kg IS NOT NULL))::int
                FROM changed
                """, as: (Int, Int).self, logger: logger)
        else { return Summary() }
        var summary = Summary()
        summary.imported = counts.0
        summary.updated = counts.1
        return summary
    }
}
