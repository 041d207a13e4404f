import Foundation

/// A reconciliation's outcome as a person or a program reads it: `table` (the default, with a summary of the
/// counts and the money at stake at the end), `csv` (one row per discrepancy) or `json`.
package struct ReconciliationReport: Sendable, Equatable {
    package enum Format: String, Sendable, CaseIterable {
        case table, csv, json
    }

    package var runID: Int64
    package var fileName: String
    /// The file had been reconciled before (same checksum): this is the earlier run, nothing was counted again.
    package var alreadyReconciled: Bool
    package var summary: ReconciliationSummary
    package var discrepancies: [ReconciliationDiscrepancy]

    package init(
        runID: Int64, fileName: String, alreadyReconciled: Bool, summary: ReconciliationSummary,
        discrepancies: [ReconciliationDiscrepancy]
    ) {
        self.runID = runID
        self.fileName = fileName
        self.alreadyReconciled = alreadyReconciled
        self.summary = summary
        self.discrepancies = discrepancies.sorted { ($0.lineNumber, $0.classification) < ($1.lineNumber, $1.classification) }
    }

    package var exitStatus: Int32 { ReconciliationRules.exitStatus(summary) }

    /// The whole report at once, written the way `ReconciliationReportWriter` streams it.
    package func render(_ format: Format) -> String {
        var writer = ReconciliationReportWriter(format: format)
        return writer.begin(runID: runID, fileName: fileName, alreadyReconciled: alreadyReconciled, lines: summary.lines)
            + writer.discrepancies(discrepancies) + writer.end(runID: runID, summary: summary)
    }

    static func detailText(_ detail: [String: String]) -> String {
        detail.keys.sorted().map { "\($0)=\(detail[$0]!)" }.joined(separator: "; ")
    }

    static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return right ? fill + s : s + fill
    }
}
