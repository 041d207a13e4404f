import Crypto
import Foundation
import Logging
import PostgresNIO
import RxDomain

/// What a report of records against records (`consortiumrx reconcile herbs|transfers|catalogues`) gives back.
package struct RecordReconciliationOutcome<Classification: RecordClassification>: Sendable {
    /// 0 everything in line, 1 discrepancies, 2 bad input (an unknown round or consortium).
    package var status: Int32
    /// The report (empty on bad input).
    package var output: String
    /// What to show on standard error.
    package var errors: String
    package var report: RecordReconciliationReport<Classification>?

    static func badInput(_ message: String) -> Self {
        Self(status: ReconciliationRules.badInput, output: "", errors: message + "\n", report: nil)
    }

    static func done(_ report: RecordReconciliationReport<Classification>, format: ReconciliationReport.Format) -> Self {
        Self(status: report.exitStatus, output: report.render(format), errors: "", report: report)
    }
}

/// Records a report's run in `reconciliation_runs` and its discrepancies in `reconciliation_discrepancies`, in the
/// caller's transaction. A report is a snapshot: each run is a new run (sql/010). Its checksum is the SHA-256 of
/// its parameters, so runs of the same report can be found together.
enum RecordReconciliationRun {
    static func checksum(kind: String, parameters: String, asOf: BusinessDate) -> String {
        SHA256.hash(data: Data("\(kind)\n\(parameters)\n\(asOf)".utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Numbers the entries, records the run and returns the report with its id.
    static func record<C: RecordClassification>(
        kind: String, consortiumID: Int64, subject: String, parameters: String, asOf: BusinessDate, startedAt: Date,
        lines: Int? = nil, entries: [ReportEntry<C>], hasMoney: Bool, createdBy: String, connection: PostgresConnection,
        logger: Logger
    ) async throws -> RecordReconciliationReport<C> {
        var report = RecordReconciliationReport(
            kind: kind, runID: 0, subject: subject, asOf: asOf, lines: lines,
            entries: RecordReconciliationReport<C>.numbered(entries), hasMoney: hasMoney)
        var counts: [String: Any] = report.counts
        counts["money_at_stake"] = report.moneyAtStake.formatted(places: 2)
        let countsJSON = String(
            decoding: try JSONSerialization.data(withJSONObject: counts, options: [.sortedKeys]), as: UTF8.self)
        let fileName = String(subject.prefix(1000))
        guard
            let runID = try await connection.row(
                """
                INSERT INTO reconciliation_runs (consortium_id, kind, file_name, input_checksum, as_of, started_at, counts, created_by)
                VALUES (\(consortiumID), \(kind), \(fileName), \(checksum(kind: kind, parameters: parameters, asOf: asOf)),
                        \(asOf.description)::date, \(startedAt), \(countsJSON)::jsonb, \(createdBy))
                RETURNING id
                """, as: Int64.self, logger: logger)
        else { throw DomainError.conflict("the run was not recorded") }
        report.runID = runID

        var rows: [Int] = []
        var classes: [String] = []
        var details: [String] = []
        var money: [String] = []
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for e in report.entries where !e.isInLine {
            let detail = String(decoding: try encoder.encode(e.detail), as: UTF8.self)
            for c in e.discrepancies {
                rows.append(e.row)
                classes.append(c.rawValue)
                details.append(detail)
                money.append((e.moneyAtStake ?? Money(0)).formatted(places: 2))
            }
        }
        if !rows.isEmpty {
            try await connection.run(
                """
                INSERT INTO reconciliation_discrepancies (consortium_id, run_id, line_number, classification, detail, money_at_stake)
                SELECT \(consortiumID), \(runID), n, c, d::jsonb, m::numeric
                FROM unnest(\(rows)::int[], \(classes)::text[], \(details)::text[], \(money)::text[]) AS x (n, c, d, m)
                """, logger: logger)
        }
        return report
    }

    /// Runs `body` in one transaction; an unknown round or consortium (not found) is bad input, exit 2.
    static func outcome<C: RecordClassification>(
        database: Database, format: ReconciliationReport.Format,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> RecordReconciliationReport<C>
    ) async throws -> RecordReconciliationOutcome<C> {
        do {
            let report = try await database.transaction { connection in try await body(connection) }
            return .done(report, format: format)
        } catch let error as DomainError {
            if case .notFound = error { return .badInput(error.message) }
            throw error
        }
    }
}
