import Foundation

/// The counts and money at stake of a reconciliation, kept while its discrepancies stream past (constant memory).
/// Fed the discrepancies of one line at a time, it gives the same summary as `ReconciliationSummary(lines:discrepancies:)`.
package struct ReconciliationTally: Sendable, Equatable {
    package private(set) var counts: [ReconciliationClassification: Int]
    package private(set) var linesWithDiscrepancies = 0
    /// The sum over lines of the largest magnitude of each line's discrepancies.
    package private(set) var moneyAtStake: Decimal = 0

    package init() {
        counts = Dictionary(uniqueKeysWithValues: ReconciliationClassification.allCases.map { ($0, 0) })
    }

    /// The discrepancies of one line (all of them at once, since a line's amount is at stake only once).
    package mutating func add(line discrepancies: [ReconciliationDiscrepancy]) {
        guard !discrepancies.isEmpty else { return }
        linesWithDiscrepancies += 1
        var largest: Decimal = 0
        for d in discrepancies {
            counts[d.classification, default: 0] += 1
            largest = max(largest, d.moneyAtStake.amount.magnitude)
        }
        moneyAtStake += largest
    }

    package func summary(lines: Int) -> ReconciliationSummary {
        var counts = self.counts
        counts[.matched] = lines - linesWithDiscrepancies
        return ReconciliationSummary(lines: lines, counts: counts, moneyAtStake: Money(moneyAtStake).rounded(2))
    }
}

/// Writes a report as it is produced: `begin` (what is known before matching), the discrepancies in batches in line
/// order, then `end` with the summary. `table` ends with the summary; `csv` has one row per discrepancy; `json` is
/// one object whose summary keys (`counts`, `moneyAtStake`) follow the `discrepancies` list.
package struct ReconciliationReportWriter: Sendable {
    package let format: ReconciliationReport.Format
    private var listed = 0

    package init(format: ReconciliationReport.Format) { self.format = format }

    package mutating func begin(runID: Int64, fileName: String, alreadyReconciled: Bool, lines: Int) -> String {
        switch format {
        case .table:
            return alreadyReconciled
                ? "\(fileName) was already reconciled as run \(runID); nothing was counted again.\n"
                : "run \(runID): \(fileName), \(lines) lines\n"
        case .csv:
            return "line_number,classification,money_at_stake,detail\n"
        case .json:
            return "{\"alreadyReconciled\":\(alreadyReconciled),\"file\":\(JSONText.string(fileName)),\"lines\":\(lines),"
                + "\"runId\":\(runID),\"discrepancies\":["
        }
    }

    /// A batch of discrepancies, sorted by line and classification.
    package mutating func discrepancies(_ batch: [ReconciliationDiscrepancy]) -> String {
        guard !batch.isEmpty else { return "" }
        var out = ""
        switch format {
        case .table:
            if listed == 0 {
                out +=
                    ReconciliationReport.pad("line", 6, right: true) + "  " + ReconciliationReport.pad("classification", 30)
                    + "  "
                    + ReconciliationReport.pad("money_at_stake", 14, right: true) + "  detail\n"
            }
            for d in batch {
                out +=
                    ReconciliationReport.pad(String(d.lineNumber), 6, right: true) + "  "
                    + ReconciliationReport.pad(d.classification.rawValue, 30) + "  "
                    + ReconciliationReport.pad(d.moneyAtStake.formatted(places: 2), 14, right: true) + "  "
                    + ReconciliationReport.detailText(d.detail) + "\n"
            }
        case .csv:
            for d in batch {
                out +=
                    [
                        String(d.lineNumber), d.classification.rawValue, d.moneyAtStake.formatted(places: 2),
                        ReconciliationReport.detailText(d.detail),
                    ]
                    .map(CSVWriter.field).joined(separator: ",") + "\n"
            }
        case .json:
            for (i, d) in batch.enumerated() {
                if listed + i > 0 { out += "," }
                out += JSONText.discrepancy(d)
            }
        }
        listed += batch.count
        return out
    }

    package func end(runID: Int64, summary: ReconciliationSummary) -> String {
        switch format {
        case .table:
            var out = "summary (run \(runID))\n"
            out +=
                "  " + ReconciliationReport.pad("lines", 30) + ReconciliationReport.pad(String(summary.lines), 14, right: true)
                + "\n"
            for c in ReconciliationClassification.allCases {
                out +=
                    "  " + ReconciliationReport.pad(c.rawValue, 30)
                    + ReconciliationReport.pad(String(summary.count(c)), 14, right: true) + "\n"
            }
            out +=
                "  " + ReconciliationReport.pad("money_at_stake", 30)
                + ReconciliationReport.pad(summary.moneyAtStake.formatted(places: 2), 14, right: true) + "\n"
            return out
        case .csv:
            return ""
        case .json:
            let counts = ReconciliationClassification.allCases.map(\.rawValue).sorted()
                .map { name in "\(JSONText.string(name)):\(summary.count(ReconciliationClassification(rawValue: name)!))" }
            return
                "],\"counts\":{\(counts.joined(separator: ","))},\"moneyAtStake\":\(JSONText.string(summary.moneyAtStake.formatted(places: 2)))}\n"
        }
    }
}

extension JSONText {
    package static func discrepancy(_ d: ReconciliationDiscrepancy) -> String {
        var writer = JSONText(capacity: 256)
        writer.object { writer in
            writer.member("classification", d.classification.rawValue)
            writer.key("detail")
            writer.object(d.detail)
            writer.member("lineNumber", d.lineNumber)
            writer.member("moneyAtStake", d.moneyAtStake.formatted(places: 2))
        }
        return writer.text
    }
}
