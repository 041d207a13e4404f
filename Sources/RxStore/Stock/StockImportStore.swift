import Foundation
import Logging
import NIOCore
import PostgresNIO
import RxDomain

/// The SQL of an opening-balance import (`StockImportUseCases`): the file streamed into a temporary table with each
/// line's refusals as read (the use case's reader, `StockOpeningRules.read`), the facts of the good lines found in one query, and the
/// movements (reason `opening`) written by one statement. The use case runs these steps in one transaction.
package struct StockImportStore: SQLStore {
    let database: Database

    package init(database: Database) { self.database = database }

    static let table = "import_stock_lines"
    static let copyColumns = [
        "line_number", "drug_code", "lot_number", "expiry_date", "quantity", "location", "unit_cost", "reasons",
    ]

    /// A line as the use case's rules read it: its fields to stage, or its refusals (already worded).
    package enum StagedLine: Sendable {
        case good(drugCode: String, lotNumber: String, expiry: String, quantity: String, location: String?, unitCost: String?)
        case bad(String)
    }

    /// Reads a line's fields (drug_code, lot_number, expiry_date, quantity, location, unit_cost; nil when empty).
    package typealias LineReader = @Sendable (String?, String?, String?, String?, String?, String?) -> StagedLine

    /// Streams the file into the staging table, each line as `read` finds it; the number of lines. A file that cannot
    /// be read as CSV at all throws `StagedCSV.Unreadable`.
    package func stage(
        _ input: FileInput, encoding: FileEncoding, requiredColumns: [String], read: @escaping LineReader,
        on connection: PostgresConnection
    ) async throws -> Int {
        try await connection.run(
            """
            CREATE TEMPORARY TABLE import_stock_lines (
                line_number int NOT NULL, drug_code text, lot_number text, expiry_date date, quantity numeric,
                location text, unit_cost numeric, reasons text
            ) ON COMMIT DROP
            """, logger: logger)
        let lines = try await StagedCSV.copy(
            input, encoding: encoding, file: "the stock file", required: requiredColumns,
            table: Self.table, columns: Self.copyColumns, connection: connection, logger: logger,
            stage: { Self.stage($0, read: read) })
        try await connection.run("ANALYZE import_stock_lines", logger: logger)
        return lines
    }

    package func dropStaging(on connection: PostgresConnection) async throws {
        try await connection.run("DROP TABLE import_stock_lines", logger: logger)
    }

    /// Writes a line's fields as `read` finds them, or NULLs and its refusals.
    static func stage(_ header: CSVHeader, read: @escaping LineReader) -> StagedCSV.RowWriter {
        let columns = (
            header["drug_code"]!, header["lot_number"]!, header["expiry_date"]!, header["quantity"]!, header["location"],
            header["unit_cost"]
        )
        return { row, buffer in
            let line = read(
                row.trimmedValue(columns.0), row.trimmedValue(columns.1), row.trimmedValue(columns.2),
                row.trimmedValue(columns.3), columns.4.flatMap { row.trimmedValue($0) },
                columns.5.flatMap { row.trimmedValue($0) })
            switch line {
            case .good(let drugCode, let lotNumber, let expiry, let quantity, let location, let unitCost):
                for value in [drugCode, lotNumber, expiry, quantity, location, unitCost] { CopyText.field(value, to: &buffer) }
                CopyText.reasons([], to: &buffer)
            case .bad(let reasons):
                for _ in 0..<6 { CopyText.field(nil, to: &buffer) }
                CopyText.reasons([reasons], to: &buffer)
            }
        }
    }

    /// A bad line: its refusals as read (already in Chinese), or the facts the rules decide on.
    package enum LineFinding: Sendable {
        case asRead(line: Int, reasons: String)
        case facts(StockOpeningLineFacts)
    }

    /// The lines bad as read and the good lines with something against them (the first `limit`, in line order), and
    /// how many there are in all. `catalogue` is the member's catalogue in effect (drug codes).
    package func findings(
        consortiumID: Int64, institutionID: Int64, catalogue: [String], limit: Int, on connection: PostgresConnection
    ) async throws -> (findings: [LineFinding], total: Int) {
        let rows = try await connection.stream(
            """
            WITH s AS (
                SELECT s.*, lot_key(s.lot_number) AS key,
                       CASE WHEN s.reasons IS NULL THEN lag(s.line_number) OVER (
                           PARTITION BY s.reasons IS NULL, s.drug_code, lot_key(s.lot_number), s.location
                           ORDER BY s.line_number) END AS earlier
                FROM import_stock_lines s
            ), f AS (
                SELECT s.line_number, s.reasons, s.drug_code, s.lot_number, s.location, s.earlier,
                       d.code IS NOT NULL AS drug_known, s.drug_code = ANY(\(catalogue)::text[]) AS in_catalogue,
                       s.location IS NOT NULL AND l.id IS NULL AS unknown_location,
                       EXISTS (SELECT 1 FROM stock_movements m
                               WHERE m.consortium_id = \(consortiumID) AND m.institution_id = \(institutionID)
                                 AND m.drug_code = s.drug_code AND m.lot_key = s.key
                                 AND m.location_id IS NOT DISTINCT FROM l.id AND m.reason_code = 'opening') AS opened,
                       CASE WHEN h.expiry_date <> s.expiry_date THEN h.expiry_date::text END AS held_expiry
                FROM s
                LEFT JOIN drugs d ON d.code = s.drug_code
                LEFT JOIN stock_locations l ON l.consortium_id = \(consortiumID) AND l.institution_id = \(institutionID)
                                           AND l.code = s.location
                LEFT JOIN stock_on_hand h ON h.consortium_id = \(consortiumID) AND h.institution_id = \(institutionID)
                                         AND h.location_id IS NOT DISTINCT FROM l.id AND h.drug_code = s.drug_code
                                         AND h.lot_key = s.key
                                         AND (s.location IS NULL OR l.id IS NOT NULL)
            )
            SELECT line_number, reasons, drug_code, lot_number, location, earlier, drug_known, in_catalogue,
                   unknown_location, opened, held_expiry, count(*) OVER ()::int
            FROM f
            WHERE reasons IS NOT NULL OR NOT drug_known OR NOT in_catalogue OR unknown_location OR earlier IS NOT NULL
               OR opened OR held_expiry IS NOT NULL
            ORDER BY line_number
            LIMIT \(limit)
            """, logger: logger)
        var findings: [LineFinding] = []
        var total = 0
        for try await r in rows.decode(
            (Int, String?, String?, String?, String?, Int?, Bool, Bool?, Bool, Bool, String?, Int).self)
        {
            total = r.11
            if let reasons = r.1 {
                findings.append(.asRead(line: r.0, reasons: reasons))
            } else {
                findings.append(
                    .facts(
                        StockOpeningLineFacts(
                            line: r.0, drugCode: r.2 ?? "", lotNumber: r.3 ?? "", locationCode: r.4, drugKnown: r.6,
                            inMemberCatalogue: r.7 ?? false, unknownLocation: r.8, earlierLine: r.5, alreadyOpened: r.9,
                            heldExpiry: r.10.flatMap(BusinessDate.init))))
            }
        }
        return (findings, total)
    }

    package struct Applied: Sendable, Equatable {
        package var movements = 0
        package var lots = 0
        package var quantity: Decimal = 0
    }

    /// Posts every staged line as an opening movement (reason and document `opening`) on `businessDate`, in line
    /// order; the trigger keeps stock on hand.
    package func apply(
        consortiumID: Int64, institutionID: Int64, businessDate: BusinessDate, actor: Actor,
        on connection: PostgresConnection
    ) async throws -> Applied {
        let row = try await connection.row(
            """
            WITH moved AS (
                INSERT INTO stock_movements (consortium_id, institution_id, location_id, drug_code, lot_number, expiry_date,
                                             reason_code, direction, quantity, unit_cost, document_type, actor_token_id,
                                             business_date)
                SELECT \(consortiumID), \(institutionID), l.id, s.drug_code, s.lot_number, s.expiry_date, 'opening', 'in',
                       s.quantity, s.unit_cost, 'opening', \(actor.tokenID), \(businessDate.description)::date
                FROM import_stock_lines s
                LEFT JOIN stock_locations l ON l.consortium_id = \(consortiumID) AND l.institution_id = \(institutionID)
                                           AND l.code = s.location
                ORDER BY s.line_number
                RETURNING drug_code, lot_key, quantity
            )
            SELECT count(*)::int, count(DISTINCT (drug_code, lot_key))::int, coalesce(sum(quantity), 0) FROM moved
            """, as: (Int, Int, Decimal).self, logger: logger)
        guard let row else { return Applied() }
        return Applied(movements: row.0, lots: row.1, quantity: row.2)
    }

    // MARK: The demo's stock (seed)

    /// Whether the consortium holds any opening balance (the demo's stock is loaded once).
    package func hasOpeningBalances(consortiumID: Int64, on connection: PostgresConnection) async throws -> Bool {
        try await connection.row(
            """
            SELECT EXISTS (SELECT 1 FROM stock_movements WHERE consortium_id = \(consortiumID) AND reason_code = 'opening')
            """, as: Bool.self, logger: logger) ?? false
    }

    /// Adds a store location to a member unless it has one with that code; whether it was added.
    package func addLocation(
        consortiumID: Int64, institutionID: Int64, code: String, name: String, kind: String,
        on connection: PostgresConnection
    ) async throws -> Bool {
        try await !connection.rows(
            """
            INSERT INTO stock_locations (consortium_id, institution_id, code, name, kind)
            VALUES (\(consortiumID), \(institutionID), \(code), \(name), \(kind))
            ON CONFLICT (consortium_id, institution_id, code) DO NOTHING
            RETURNING 1
            """, as: Int.self, logger: logger
        ).isEmpty
    }

    /// A recall of a lot standing at every member (the demo's recalled lot); whether it was added.
    package func addRecall(
        consortiumID: Int64, drugCode: String, lotNumber: String, noticeNumber: String, reason: String,
        on connection: PostgresConnection
    ) async throws -> Bool {
        try await !connection.rows(
            """
            INSERT INTO lot_blocks (consortium_id, drug_code, lot_number, kind, notice_number, reason)
            VALUES (\(consortiumID), \(drugCode), \(lotNumber), 'recall', \(noticeNumber), \(reason))
            ON CONFLICT DO NOTHING
            RETURNING 1
            """, as: Int.self, logger: logger
        ).isEmpty
    }
}
