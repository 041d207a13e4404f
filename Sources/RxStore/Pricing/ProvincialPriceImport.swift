import Foundation
import Logging
import NIOCore
import PostgresNIO
import RxDomain

/// Loads a provincial winning-bid price list (CSV: drug_code, unit_price, price_unit, bid_reference,
/// effective_from) for a consortium. The whole file goes in one transaction: any bad line changes nothing,
/// and every bad line is reported with its number in one run, whatever makes it bad (a malformed field, a drug
/// the database does not know, a conflict with an earlier import). Importing the same file again changes nothing.
///
/// The file is streamed (1 MiB chunks, UTF-8 or GBK), each line checked as read and COPYed with its reasons into a
/// temporary table; what needs the database (known drugs, a drug and date twice in the file, an earlier import of
/// the same bid) is checked in one query over that table. Only then are the prices locked (one lock for the
/// consortium's prices, held from here to the commit) and applied, drug by drug in batches: each new price finds its
/// place among the periods in effect by `PriceTimeline.planBatch`, and the batch is written with a few set-based
/// statements, an audit row per new agreement. `PriceImportUseCases` runs these steps in order; this type holds
/// their SQL.
package struct ProvincialPriceImport: Sendable {
    package static let columns = ["drug_code", "unit_price", "price_unit", "bid_reference", "effective_from"]
    /// Bad lines listed in full; beyond them only counted.
    package static let maxListedErrors = 1000
    /// Lines applied at a time.
    package static let batchSize = 10_000

    package struct LineError: Error, Sendable, Equatable, CustomStringConvertible {
        package var line: Int
        package var reason: String
        package var description: String { "line \(line): \(reason)" }

        package init(line: Int, reason: String) {
            (self.line, self.reason) = (line, reason)
        }
    }

    /// Every bad line of a file (the first `maxListedErrors`, then a count of the others).
    package struct Rejected: Error, Sendable, CustomStringConvertible {
        package var errors: [LineError]
        /// Bad lines beyond those listed.
        package var unlisted: Int = 0

        package init(errors: [LineError], unlisted: Int = 0) {
            (self.errors, self.unlisted) = (errors, unlisted)
        }

        package var description: String {
            var lines = errors.map(\.description)
            if unlisted > 0 { lines.append("… and \(unlisted) more bad line\(unlisted == 1 ? "" : "s")") }
            return lines.joined(separator: "\n")
        }
    }

    package struct Summary: Sendable, Equatable {
        package var lines = 0
        package var imported = 0
        package var unchanged = 0

        package init(lines: Int = 0, imported: Int = 0, unchanged: Int = 0) {
            (self.lines, self.imported, self.unchanged) = (lines, imported, unchanged)
        }
    }

    let database: Database
    var logger: Logger { database.logger }

    package init(database: Database) {
        self.database = database
    }

    static let table = "import_price_lines"
    static let copyColumns = ["line_number", "drug_code", "unit_price", "price_unit", "reference", "effective_from", "reasons"]

    /// The consortium's id by code, nil when there is none.
    package func consortiumID(code: String, on connection: PostgresConnection) async throws -> Int64? {
        try await connection.row("SELECT id FROM consortia WHERE code = \(code)", as: Int64.self, logger: logger)
    }

    /// Streams the file into the temporary staging table, each line with its reasons as read; the number of lines.
    /// A file that cannot be read as CSV at all throws `StagedCSV.Unreadable`.
    package func stage(_ input: FileInput, encoding: FileEncoding, on connection: PostgresConnection) async throws -> Int {
        try await connection.run(
            """
            CREATE TEMPORARY TABLE import_price_lines (
                line_number int NOT NULL, drug_code text, unit_price numeric, price_unit text, reference text,
                effective_from date, reasons text
            ) ON COMMIT DROP
            """, logger: logger)
        let lines = try await StagedCSV.copy(
            input, encoding: encoding, file: "the price list", required: Self.columns, table: Self.table,
            columns: Self.copyColumns, connection: connection, logger: logger, stage: Self.stage)
        try await connection.run("ANALYZE import_price_lines", logger: logger)
        return lines
    }

    /// From here to the commit no other change of the consortium's prices runs (`PriceStore.lockDrug`).
    package func lockPrices(consortiumID: Int64, on connection: PostgresConnection) async throws {
        _ = try await connection.row(
            "SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtextextended(\(PriceStore.pricesLock(consortiumID: consortiumID)), 0))) AS locked",
            as: Int.self, logger: logger)
    }

    package func dropStaging(on connection: PostgresConnection) async throws {
        try await connection.run("DROP TABLE import_price_lines", logger: logger)
    }

    /// Checks a line as read and writes its staged columns: each field when good (NULL when not), and the reasons.
    static func stage(_ header: CSVHeader) -> StagedCSV.RowWriter {
        let (code, price, unit, reference, from) = (
            header["drug_code"]!, header["unit_price"]!, header["price_unit"]!, header["bid_reference"]!,
            header["effective_from"]!
        )
        return { row, buffer in
            var reasons: [String] = []
            let drug = row.trimmedValue(code) ?? ""
            if let e = SpreadsheetCell.codeDamage(drug) ?? Codes.drugCodeError(drug) {
                reasons.append("drug_code \(e)")
                CopyText.field(nil, to: &buffer)
            } else {
                CopyText.field(drug, to: &buffer)
            }
            let rawPrice = row.trimmedValue(price)
            if let money = rawPrice.flatMap(SpreadsheetCell.number).flatMap({ Money($0) }), money.amount > 0 {
                CopyText.field(DecimalText.plain(money.amount), to: &buffer)
            } else {
                reasons.append("unit_price '\(rawPrice ?? "")' is not a positive amount with at most four decimals")
                CopyText.field(nil, to: &buffer)
            }
            let rawUnit = row.trimmedValue(unit) ?? ""
            if let priceUnit: PriceUnit = rawUnit == "kg" ? .unit : PriceUnit(rawValue: rawUnit) {
                CopyText.field(priceUnit.rawValue, to: &buffer)
            } else {
                reasons.append("price_unit '\(rawUnit)' is not package, unit or kg")
                CopyText.field(nil, to: &buffer)
            }
            let ref = row.trimmedValue(reference) ?? ""
            if ref.isEmpty || ref.count > 100 {
                reasons.append("bid_reference is required (at most 100 characters)")
                CopyText.field(nil, to: &buffer)
            } else {
                CopyText.field(ref, to: &buffer)
            }
            let rawFrom = row.trimmedValue(from)
            if let date = rawFrom.flatMap(SpreadsheetCell.date) {
                CopyText.field(date.description, to: &buffer)
            } else {
                reasons.append("effective_from '\(rawFrom ?? "")' is not a date YYYY-MM-DD")
                CopyText.field(nil, to: &buffer)
            }
            CopyText.reasons(reasons, to: &buffer)
        }
    }

    /// Every bad line (the first `maxListedErrors`, and a count of the rest), nil when there is none: its reasons as
    /// read, then what the database says of it. A line good as read is bad when its drug and date are on an earlier
    /// line (the `provincial_bid_prices` key), when the drug is unknown (the foreign key), or when its bid was
    /// imported before at another price (`price_agreements_bid_once`).
    package func badLines(consortiumID: Int64, on connection: PostgresConnection) async throws -> Rejected? {
        let rows = try await connection.stream(
            """
            WITH s AS (
                SELECT s.*, CASE WHEN s.reasons IS NULL THEN lag(s.line_number) OVER (
                    PARTITION BY s.reasons IS NULL, s.drug_code, s.effective_from ORDER BY s.line_number) END AS earlier,
                    s.drug_code IS NOT NULL AND NOT EXISTS (SELECT 1 FROM drugs d WHERE d.code = s.drug_code) AS unknown
                FROM import_price_lines s
            )
            SELECT s.line_number, s.reasons, s.drug_code, s.effective_from::text, s.earlier, s.unknown, s.reference,
                   a.unit_price, a.price_unit, count(*) OVER ()::int
            FROM s
            LEFT JOIN price_agreements a
                ON s.reasons IS NULL AND s.earlier IS NULL AND a.consortium_id = \(consortiumID) AND a.source = 'provincial_bid'
               AND a.drug_code = s.drug_code AND a.requested_from = s.effective_from AND a.reference = s.reference
               AND (a.unit_price <> s.unit_price OR a.price_unit <> s.price_unit)
            WHERE s.reasons IS NOT NULL OR s.earlier IS NOT NULL OR s.unknown OR a.unit_price IS NOT NULL
            ORDER BY s.line_number
            LIMIT \(Self.maxListedErrors)
            """, logger: logger)
        var errors: [LineError] = []
        var total = 0
        for try await r in rows.decode((Int, String?, String?, String?, Int?, Bool, String?, Decimal?, String?, Int).self) {
            var reasons = r.1.map { [$0] } ?? []
            let (code, from) = (r.2 ?? "", r.3 ?? "")
            if let earlier = r.4 { reasons.append("\(code) from \(from) is already priced on line \(earlier)") }
            if r.5 { reasons.append("no drug \(code)") }
            if let price = r.7, let unit = r.8 {
                reasons.append("\(r.6 ?? "") was imported for \(code) from \(from) at \(Money(price)) per \(unit)")
            }
            errors.append(LineError(line: r.0, reason: reasons.joined(separator: "; ")))
            total = r.9
        }
        return errors.isEmpty ? nil : Rejected(errors: errors, unlisted: total - errors.count)
    }

    /// A line not imported before, as applied.
    package struct NewLine: Sendable {
        package var line: Int
        package var drugCode: String
        var unitPrice: String
        var priceUnit: String
        var reference: String
        package var from: BusinessDate

        package var batchLine: PriceTimeline.BatchLine { .init(line: line, drugCode: drugCode, from: from) }
    }

    /// Opens a cursor over the lines not imported before, a drug's lines together (`fetchNewLines`).
    package func openNewLines(consortiumID: Int64, connection: PostgresConnection) async throws {
        try await connection.run(
            """
            DECLARE import_prices NO SCROLL CURSOR FOR
            SELECT s.line_number, s.drug_code, s.unit_price::text, s.price_unit, s.reference, s.effective_from::text
            FROM import_price_lines s
            WHERE NOT EXISTS (
                SELECT 1 FROM price_agreements a
                WHERE a.consortium_id = \(consortiumID) AND a.source = 'provincial_bid' AND a.drug_code = s.drug_code
                  AND a.requested_from = s.effective_from AND a.reference = s.reference)
            ORDER BY s.drug_code, s.line_number
            """, logger: logger)
    }

    /// The next `batchSize` new lines; fewer at the end.
    package func fetchNewLines(connection: PostgresConnection) async throws -> [NewLine] {
        try await connection.rows(
            "FETCH \(unescaped: String(Self.batchSize)) FROM import_prices",
            as: (Int, String, String, String, String, String).self,
            logger: logger
        ).map {
            NewLine(
                line: $0.0, drugCode: $0.1, unitPrice: $0.2, priceUnit: $0.3, reference: $0.4, from: BusinessDate($0.5)!)
        }
    }

    package func closeNewLines(connection: PostgresConnection) async throws {
        try await connection.run("CLOSE import_prices", logger: logger)
    }

    /// The periods in effect of the drugs' agreements and their ceilings, by drug code.
    package func periods(of codes: Set<String>, consortiumID: Int64, connection: PostgresConnection) async throws -> (
        agreements: [String: [PriceTimeline.Period]], ceilings: [String: [PriceTimeline.Period]]
    ) {
        let codes = Array(codes)
        func periods(_ query: PostgresQuery) async throws -> [String: [PriceTimeline.Period]] {
            var periods: [String: [PriceTimeline.Period]] = [:]
            for r in try await connection.rows(query, as: (String, Int64, String, String?).self, logger: logger) {
                periods[r.0, default: []].append(
                    PriceTimeline.Period(id: r.1, from: BusinessDate(r.2)!, to: r.3.flatMap(BusinessDate.init)))
            }
            return periods
        }
        let agreements = try await periods(
            """
            SELECT drug_code, id, effective_from::text, effective_to::text FROM price_agreements
            WHERE consortium_id = \(consortiumID) AND drug_code = ANY(\(codes)) AND status = 'in_effect'
            """)
        let ceilings = try await periods(
            """
            SELECT drug_code, id, effective_from::text, effective_to::text FROM provincial_bid_prices
            WHERE consortium_id = \(consortiumID) AND drug_code = ANY(\(codes))
            """)
        return (agreements, ceilings)
    }

    /// Writes a batch of new prices (every line of each of its drugs) as `plan` places them, and their audit rows.
    package func write(
        _ lines: [NewLine], plan: PriceTimeline.BatchPlan, consortiumID: Int64, actor: Actor,
        connection: PostgresConnection
    ) async throws {
        // Earlier periods shrink or go first, so that no period overlaps another at any time (the exclusion constraints).
        if !plan.supersededAgreements.isEmpty {
            try await connection.run(
                """
                UPDATE price_agreements SET status = 'superseded', effective_from = NULL, effective_to = NULL
                WHERE consortium_id = \(consortiumID) AND id = ANY(\(plan.supersededAgreements))
                """, logger: logger)
        }
        let closed = plan.closedAgreements
        if !closed.isEmpty {
            try await connection.run(
                """
                UPDATE price_agreements a SET effective_to = nullif(x.effective_to, '')::date
                FROM unnest(\(closed.map(\.id))::bigint[], \(closed.map { Self.text($0.to) })::text[]) AS x (id, effective_to)
                WHERE a.consortium_id = \(consortiumID) AND a.id = x.id
                """, logger: logger)
        }
        if !plan.supersededCeilings.isEmpty {
            try await connection.run(
                "DELETE FROM provincial_bid_prices WHERE consortium_id = \(consortiumID) AND id = ANY(\(plan.supersededCeilings))",
                logger: logger)
        }
        let closedCeilings = plan.closedCeilings
        if !closedCeilings.isEmpty {
            try await connection.run(
                """
                UPDATE provincial_bid_prices p SET effective_to = nullif(x.effective_to, '')::date
                FROM unnest(\(closedCeilings.map(\.id))::bigint[], \(closedCeilings.map { Self.text($0.to) })::text[]) AS x (id, effective_to)
                WHERE p.consortium_id = \(consortiumID) AND p.id = x.id
                """, logger: logger)
        }
        let newCeilings = lines.filter { plan.newCeilings[$0.line] != nil }
        try await connection.run(
            """
            INSERT INTO provincial_bid_prices (consortium_id, drug_code, unit_price, price_unit, bid_reference, effective_from, effective_to)
            SELECT \(consortiumID), x.drug_code, x.unit_price, x.price_unit, x.reference, x.effective_from, nullif(x.effective_to, '')::date
            FROM unnest(\(newCeilings.map(\.drugCode))::text[], \(newCeilings.map(\.unitPrice))::numeric[],
                        \(newCeilings.map(\.priceUnit))::text[], \(newCeilings.map(\.reference))::text[],
                        \(newCeilings.map(\.from.description))::date[],
                        \(newCeilings.map { Self.text(plan.newCeilings[$0.line]!.to) })::text[])
                 AS x (drug_code, unit_price, price_unit, reference, effective_from, effective_to)
            """, logger: logger)

        // The new agreements as they stand once the batch is in: in effect, or superseded by a later line.
        let agreed = lines.map { line -> PriceAgreement in
            let period = plan.newAgreements[line.line]
            return PriceAgreement(
                id: 0, drugCode: line.drugCode, unitPrice: Money(Decimal(string: line.unitPrice, locale: Self.posix)!),
                priceUnit: PriceUnit(rawValue: line.priceUnit)!, source: .provincialBid, reference: line.reference,
                requestedFrom: line.from, status: period == nil ? .superseded : .inEffect, reportedOn: nil,
                platformReference: nil, effectiveFrom: period?.from, effectiveTo: period?.to)
        }
        let ids = try await connection.rows(
            """
            INSERT INTO price_agreements (consortium_id, drug_code, unit_price, price_unit, source, reference, requested_from,
                                          status, effective_from, effective_to)
            SELECT \(consortiumID), x.drug_code, x.unit_price, x.price_unit, 'provincial_bid', x.reference, x.requested_from,
                   x.status, nullif(x.effective_from, '')::date, nullif(x.effective_to, '')::date
            FROM unnest(\(lines.map(\.drugCode))::text[], \(lines.map(\.unitPrice))::numeric[], \(lines.map(\.priceUnit))::text[],
                        \(lines.map(\.reference))::text[], \(lines.map(\.from.description))::date[],
                        \(agreed.map(\.status.rawValue))::text[], \(agreed.map { Self.text($0.effectiveFrom) })::text[],
                        \(agreed.map { Self.text($0.effectiveTo) })::text[])
                 AS x (drug_code, unit_price, price_unit, reference, requested_from, status, effective_from, effective_to)
            RETURNING id, drug_code, requested_from::text
            """, as: (Int64, String, String).self, logger: logger)
        // A drug and a date are on one line of the file only (`check`).
        let idOf = Dictionary(ids.map { ("\($0.1)|\($0.2)", $0.0) }, uniquingKeysWith: { a, _ in a })
        var keys: [String] = []
        var afters: [String] = []
        keys.reserveCapacity(agreed.count)
        afters.reserveCapacity(agreed.count)
        for var agreement in agreed {
            agreement.id = idOf["\(agreement.drugCode)|\(agreement.requestedFrom)"]!
            keys.append(String(agreement.id))
            afters.append(String(decoding: try AuditLog.encoder.encode(agreement), as: UTF8.self))
        }
        try await AuditLog(logger: logger).record(
            on: connection, consortiumID: consortiumID, actor: actor, action: "import", entityType: "price_agreement",
            entityKeys: keys, befores: nil, afters: afters)
    }

    static let posix = Locale(identifier: "en_US_POSIX")

    /// A date for a text array, '' for none (read back with `nullif(…, '')::date`: arrays do not bind nil).
    static func text(_ date: BusinessDate?) -> String { date?.description ?? "" }
}
