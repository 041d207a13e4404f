import Foundation

/// A reconciliation's outcome as a person or a program reads it: `table` (the default, with a summary of the
/// counts and the money at stake at the end), `csv` (one row per discrepancy) or `json`.
public struct ReconciliationReport: Sendable, Equatable {
    public enum Format: String, Sendable, CaseIterable {
        case table, csv, json
    }

    public var runID: Int64
    public var fileName: String
    /// The file had been reconciled before (same checksum): this is the earlier run, nothing was counted again.
    public var alreadyReconciled: Bool
    public var summary: ReconciliationSummary
    public var discrepancies: [ReconciliationDiscrepancy]

    public init(runID: Int64, fileName: String, alreadyReconciled: Bool, summary: ReconciliationSummary,
                discrepancies: [ReconciliationDiscrepancy]) {
        self.runID = runID
        self.fileName = fileName
        self.alreadyReconciled = alreadyReconciled
        self.summary = summary
        self.discrepancies = discrepancies.sorted { ($0.lineNumber, $0.classification) < ($1.lineNumber, $1.classification) }
    }

    public var exitStatus: Int32 { ReconciliationRules.exitStatus(summary) }

    public func render(_ format: Format) -> String {
        switch format {
        case .table: table()
        case .csv: csv()
        case .json: json()
        }
    }

    static func detailText(_ detail: [String: String]) -> String {
        detail.keys.sorted().map { "\($0)=\(detail[$0]!)" }.joined(separator: "; ")
    }

    static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return right ? fill + s : s + fill
    }

    func table() -> String {
        var out = ""
        if alreadyReconciled {
            out += "\(fileName) was already reconciled as run \(runID); nothing was counted again.\n"
        } else {
            out += "run \(runID): \(fileName), \(summary.lines) lines\n"
        }
        if !discrepancies.isEmpty {
            out += Self.pad("line", 6, right: true) + "  " + Self.pad("classification", 30) + "  "
                + Self.pad("money_at_stake", 14, right: true) + "  detail\n"
            for d in discrepancies {
                out += Self.pad(String(d.lineNumber), 6, right: true) + "  " + Self.pad(d.classification.rawValue, 30) + "  "
                    + Self.pad(d.moneyAtStake.formatted(places: 2), 14, right: true) + "  " + Self.detailText(d.detail) + "\n"
            }
        }
        out += "summary (run \(runID))\n"
        out += "  " + Self.pad("lines", 30) + Self.pad(String(summary.lines), 14, right: true) + "\n"
        for c in ReconciliationClassification.allCases {
            out += "  " + Self.pad(c.rawValue, 30) + Self.pad(String(summary.count(c)), 14, right: true) + "\n"
        }
        out += "  " + Self.pad("money_at_stake", 30) + Self.pad(summary.moneyAtStake.formatted(places: 2), 14, right: true) + "\n"
        return out
    }

    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    func csv() -> String {
        var out = "line_number,classification,money_at_stake,detail\n"
        for d in discrepancies {
            out += [String(d.lineNumber), d.classification.rawValue, d.moneyAtStake.formatted(places: 2), Self.detailText(d.detail)]
                .map(Self.csvField).joined(separator: ",") + "\n"
        }
        return out
    }

    struct JSONBody: Encodable {
        var runId: Int64
        var file: String
        var alreadyReconciled: Bool
        var lines: Int
        var counts: [String: Int]
        var moneyAtStake: String
        var discrepancies: [ReconciliationDiscrepancy]
    }

    func json() -> String {
        var counts: [String: Int] = [:]
        for c in ReconciliationClassification.allCases { counts[c.rawValue] = summary.count(c) }
        let body = JSONBody(runId: runID, file: fileName, alreadyReconciled: alreadyReconciled, lines: summary.lines,
                            counts: counts, moneyAtStake: summary.moneyAtStake.formatted(places: 2), discrepancies: discrepancies)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(body)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
