import Foundation
import PostgresNIO
import RxDomain

extension ReconciliationStore {
    /// Records a run of any kind; returns its id, nil when the row was not created. `counts` is its counts as a JSON
    /// object (`'{}'` until an invoice run is finished); `startedAt` nil: now.
    package func insertRun(
        consortiumID: Int64, kind: String, fileName: String, checksum: String, asOf: BusinessDate, startedAt: Date?,
        counts: String, createdBy: String, codeType: String = "auto", crosswalkKey: String = "",
        on connection: PostgresConnection
    ) async throws -> Int64? {
        try await connection.row(
            """
            INSERT INTO reconciliation_runs (consortium_id, kind, file_name, input_checksum, as_of, started_at, counts, created_by,
                                             code_type, crosswalk_key)
            VALUES (\(consortiumID), \(kind), \(fileName), \(checksum), \(asOf.description)::date,
                    coalesce(\(startedAt), now()), \(counts)::jsonb, \(createdBy), \(codeType), \(crosswalkKey))
            RETURNING id
            """, as: Int64.self, logger: logger)
    }

    /// A finished invoice run's counts (a JSON object), and the time it finished.
    package func finishRun(runID: Int64, consortiumID: Int64, counts: String, on connection: PostgresConnection) async throws {
        try await connection.run(
            """
            UPDATE reconciliation_runs SET counts = \(counts)::jsonb, finished_at = clock_timestamp()
            WHERE consortium_id = \(consortiumID) AND id = \(runID)
            """, logger: logger)
    }

    /// A discrepancy to record: its line (or report row), classification, detail (a JSON object) and money at stake
    /// (plain, two places).
    package struct DiscrepancyRow: Sendable {
        package var lineNumber: Int
        package var classification: String
        package var detail: String
        package var moneyAtStake: String
        package init(lineNumber: Int, classification: String, detail: String, moneyAtStake: String) {
            self.lineNumber = lineNumber
            self.classification = classification
            self.detail = detail
            self.moneyAtStake = moneyAtStake
        }
    }

    /// Records a run's discrepancies in one statement.
    package func insertDiscrepancies(
        _ rows: [DiscrepancyRow], runID: Int64, consortiumID: Int64, on connection: PostgresConnection
    ) async throws {
        guard !rows.isEmpty else { return }
        try await connection.run(
            """
            INSERT INTO reconciliation_discrepancies (consortium_id, run_id, line_number, classification, detail, money_at_stake)
            SELECT \(consortiumID), \(runID), n, c, d::jsonb, m::numeric
            FROM unnest(\(rows.map(\.lineNumber))::int[], \(rows.map(\.classification))::text[], \(rows.map(\.detail))::text[],
                        \(rows.map(\.moneyAtStake))::text[]) AS x (n, c, d, m)
            """, logger: logger)
    }
}
