import Foundation
import Logging
import PostgresNIO
import RxDomain

/// A recorded reconciliation run, as the API shows it.
package struct ReconciliationRun: Sendable {
    package var id: Int64
    package var kind: String
    package var fileName: String
    package var inputChecksum: String
    /// How an invoice file's drug column was read (`auto` or a code type; `auto` for reports).
    package var codeType: String
    package var asOf: BusinessDate
    package var startedAt: Date
    package var finishedAt: Date
    package var createdBy: String
    /// Invoice lines, or the entries a report examined.
    package var lines: Int
    /// By classification name, as recorded: the invoice classifications (with `matched`), or a report's
    /// classifications (with `in_line`).
    package var counts: [String: Int]
    package var moneyAtStake: Money
    /// Filled only when one run is read.
    package var discrepancies: [RecordedDiscrepancy]?
}

/// A discrepancy as recorded, of any kind of run: `lineNumber` is the invoice file's line or the report's row.
package struct RecordedDiscrepancy: Sendable, Equatable {
    package var lineNumber: Int
    package var classification: String
    package var detail: [String: String]
    package var moneyAtStake: Money
    /// Finance's review; nil while open.
    package var review: DiscrepancyReview?
    package var reviewNote: String?
    package var reviewedBy: String?
    package var reviewedAt: Date?
}

/// Reads the runs `consortiumrx reconcile` recorded, and records finance's review of their discrepancies.
package struct ReconciliationStore: SQLStore {
    let database: Database

    package init(database: Database) { self.database = database }

    typealias Row = (Int64, String, String, String, String, Date, Date, String, String, String)

    func run(_ r: Row, discrepancies: [RecordedDiscrepancy]?) throws -> ReconciliationRun {
        guard let asOf = BusinessDate(r.4) else { throw DomainError.unavailable("a run's date is unreadable") }
        let object = (try? JSONSerialization.jsonObject(with: Data(r.8.utf8))) as? [String: Any] ?? [:]
        var counts: [String: Int] = [:]
        for (key, value) in object where key != "lines" {
            if let n = value as? Int {
                counts[key] = n
            } else if let n = value as? NSNumber, !(value is String) {
                counts[key] = n.intValue
            }
        }
        let lines = (object["lines"] as? Int) ?? (object["lines"] as? NSNumber)?.intValue ?? 0
        let money =
            (object["money_at_stake"] as? String).flatMap { Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) } ?? 0
        return ReconciliationRun(
            id: r.0, kind: r.1, fileName: r.2, inputChecksum: r.3, codeType: r.9, asOf: asOf, startedAt: r.5, finishedAt: r.6,
            createdBy: r.7, lines: lines, counts: counts, moneyAtStake: Money(money), discrepancies: discrepancies)
    }

    /// Newest first.
    package func list(consortiumID: Int64, page: PageRequest) async throws -> Page<ReconciliationRun> {
        let before = page.after.flatMap(Int64.init) ?? Int64.max
        let rows = try await database.rows(
            """
            SELECT id, kind, file_name, input_checksum, as_of::text, started_at, finished_at, created_by, counts::text, code_type
            FROM reconciliation_runs WHERE consortium_id = \(consortiumID) AND id < \(before)
            ORDER BY id DESC LIMIT \(page.limit + 1)
            """, as: Row.self)
        return Page(rows: try rows.map { try run($0, discrepancies: nil) }, limit: page.limit, key: { String($0.id) })
    }

    /// A run with its discrepancies; nil when the consortium has no such run.
    package func get(consortiumID: Int64, id: Int64) async throws -> ReconciliationRun? {
        try await database.read { connection in
            guard
                let r = try await connection.row(
                    """
                    SELECT id, kind, file_name, input_checksum, as_of::text, started_at, finished_at, created_by, counts::text, code_type
                    FROM reconciliation_runs WHERE consortium_id = \(consortiumID) AND id = \(id)
                    """, as: Row.self, logger: logger)
            else { return nil }
            let discrepancies = try await self.discrepancies(
                consortiumID: consortiumID, runID: id, lineNumber: nil, connection: connection)
            return try run(r, discrepancies: discrepancies)
        }
    }

    /// A run without its discrepancies; nil when the consortium has no such run.
    package func header(consortiumID: Int64, id: Int64) async throws -> ReconciliationRun? {
        try await database.rows(
            """
            SELECT id, kind, file_name, input_checksum, as_of::text, started_at, finished_at, created_by, counts::text, code_type
            FROM reconciliation_runs WHERE consortium_id = \(consortiumID) AND id = \(id)
            """, as: Row.self
        ).first.map { try run($0, discrepancies: nil) }
    }

    /// Which of a run's discrepancies a page shows: one classification or all, only those still to settle (open or
    /// disputed) or all.
    package struct DiscrepancyFilter: Sendable, Equatable {
        package var classification: String?
        package var unsettledOnly: Bool
        package init(classification: String?, unsettledOnly: Bool) {
            self.classification = classification
            self.unsettledOnly = unsettledOnly
        }
    }

    /// A page of a run's discrepancies by line and classification (keyset on the primary key).
    package func discrepancyPage(
        consortiumID: Int64, runID: Int64, filter: DiscrepancyFilter, page: PageRequest
    ) async throws -> Page<RecordedDiscrepancy> {
        let after = page.after?.split(separator: ":", maxSplits: 1)
        let line = after.flatMap { Int($0[0]) } ?? 0
        let classification = after.flatMap { $0.count > 1 ? String($0[1]) : nil } ?? ""
        let rows = try await database.rows(
            """
            SELECT line_number, classification, detail::text, money_at_stake::text, review_status, review_note, reviewed_by, reviewed_at
            FROM reconciliation_discrepancies
            WHERE consortium_id = \(consortiumID) AND run_id = \(runID)
              AND (line_number, classification) > (\(line), \(classification))
              AND (\(filter.classification)::text IS NULL OR classification = \(filter.classification))
              AND (NOT \(filter.unsettledOnly) OR review_status IS NULL OR review_status = 'disputed')
            ORDER BY line_number, classification
            LIMIT \(page.limit + 1)
            """, as: RecordedRow.self)
        return Page(rows: try rows.map(discrepancy), limit: page.limit, key: { "\($0.lineNumber):\($0.classification)" })
    }

    /// How many of a run's discrepancies are open (nil), disputed and resolved.
    package func reviewCounts(consortiumID: Int64, runID: Int64) async throws -> [DiscrepancyReview?: Int] {
        let rows = try await database.rows(
            """
            SELECT review_status, count(*)::int FROM reconciliation_discrepancies
            WHERE consortium_id = \(consortiumID) AND run_id = \(runID) GROUP BY review_status
            """, as: (String?, Int).self)
        var counts: [DiscrepancyReview?: Int] = [:]
        for (status, count) in rows { counts[try status.map { try decodeEnum($0) }, default: 0] += count }
        return counts
    }

    typealias RecordedRow = (Int, String, String, String, String?, String?, String?, Date?)

    func discrepancy(_ d: RecordedRow) throws -> RecordedDiscrepancy {
        RecordedDiscrepancy(
            lineNumber: d.0, classification: d.1,
            detail: (try? JSONDecoder().decode([String: String].self, from: Data(d.2.utf8))) ?? [:],
            moneyAtStake: Money(Decimal(string: d.3, locale: Locale(identifier: "en_US_POSIX")) ?? 0),
            review: try d.4.map { try decodeEnum($0) }, reviewNote: d.5, reviewedBy: d.6, reviewedAt: d.7)
    }

    /// A run's discrepancies (of one line, or all), by line and classification.
    package func discrepancies(consortiumID: Int64, runID: Int64, lineNumber: Int?, connection: PostgresConnection) async throws
        -> [RecordedDiscrepancy]
    {
        let rows = try await connection.rows(
            """
            SELECT line_number, classification, detail::text, money_at_stake::text, review_status, review_note, reviewed_by, reviewed_at
            FROM reconciliation_discrepancies
            WHERE consortium_id = \(consortiumID) AND run_id = \(runID) AND (\(lineNumber)::int IS NULL OR line_number = \(lineNumber))
            ORDER BY line_number, classification
            """, as: RecordedRow.self, logger: logger)
        return try rows.map(discrepancy)
    }

    /// The classifications of a line's discrepancies (or only the one named) with their review, locked.
    package func lockDiscrepancies(
        runID: Int64, lineNumber: Int, classification: String?, consortiumID: Int64, on connection: PostgresConnection
    ) async throws -> [(classification: String, review: DiscrepancyReview?)] {
        try await connection.rows(
            """
            SELECT classification, review_status FROM reconciliation_discrepancies
            WHERE consortium_id = \(consortiumID) AND run_id = \(runID) AND line_number = \(lineNumber)
              AND (\(classification)::text IS NULL OR classification = \(classification))
            ORDER BY classification FOR UPDATE
            """, as: (String, String?).self, logger: logger
        ).map { (classification: $0.0, review: try $0.1.map { try decodeEnum($0) }) }
    }

    /// Sets finance's review of a line's discrepancies of the classifications given.
    package func setReview(
        _ review: DiscrepancyReview, note: String, reviewer: String, runID: Int64, lineNumber: Int, classifications: [String],
        consortiumID: Int64, on connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            UPDATE reconciliation_discrepancies
            SET review_status = \(review.rawValue), review_note = \(note), reviewed_by = \(reviewer), reviewed_at = now()
            WHERE consortium_id = \(consortiumID) AND run_id = \(runID) AND line_number = \(lineNumber)
              AND classification = ANY(\(classifications))
            """, logger: logger)
    }
}

extension ReconciliationStore {
    /// An invoice run's consortium code, if the run is one.
    package func invoiceRunConsortium(runID: Int64) async throws -> (consortiumID: Int64, code: String)? {
        try await database.rows(
            """
            SELECT c.id, c.code FROM reconciliation_runs r JOIN consortia c ON c.id = r.consortium_id
            WHERE r.id = \(runID) AND r.kind = 'invoices'
            """, as: (Int64, String).self
        ).first.map { (consortiumID: $0.0, code: $0.1) }
    }

    /// A run's `unmapped_code` lines by the code the file wrote and the reason, in the order of their first line.
    package func unmappedCodes(runID: Int64, consortiumID: Int64, linesShown: Int) async throws -> [UnmappedCode] {
        let rows = try await database.rows(
            """
            SELECT detail ->> 'drugCode', detail ->> 'reason', count(*)::int,
                   (array_agg(line_number ORDER BY line_number))[1:\(linesShown)]::int8[], sum(money_at_stake)
            FROM reconciliation_discrepancies
            WHERE consortium_id = \(consortiumID) AND run_id = \(runID) AND classification = 'unmapped_code'
            GROUP BY 1, 2 ORDER BY min(line_number)
            """, as: (String, String, Int, [Int], Decimal).self)
        // money at stake of an unmapped line is its amount
        return rows.map { UnmappedCode(code: $0.0, reason: $0.1, lines: $0.2, firstLines: $0.3, amount: Money($0.4)) }
    }
}
