import Foundation

/// What a report reconciling records against records (no file) calls one of its entries: in line (an informative
/// status such as `on_pace`) or a discrepancy (such as `behind_pace`). Each report kind has its own enum.
package protocol RecordClassification: RawRepresentable, CaseIterable, Sendable, Hashable where RawValue == String {
    var isDiscrepancy: Bool { get }
}

/// One named figure of an entry, in the order a reader wants them ("committedKg", "336.000").
package struct ReportField: Sendable, Equatable {
    package var name: String
    package var value: String
    package init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// One entry of a report: a member's item of a herb round, a transfer approval, a shipment out of line, a drug of a
/// member's list. `classifications` holds one in-line status, or every discrepancy found (at least one).
package struct ReportEntry<Classification: RecordClassification>: Sendable, Equatable {
    /// 1-based, in the order of the report; kept as the discrepancy's `line_number`.
    package var row: Int
    /// Who and what, for a person: "YJ-TCMH T001700001 黄芪".
    package var subject: String
    package var classifications: [Classification]
    package var fields: [ReportField]
    /// CNY to the fen, where money applies (nil otherwise): the largest magnitude among its discrepancies.
    package var moneyAtStake: Money?

    package init(
        row: Int = 0, subject: String, classifications: [Classification], fields: [ReportField], moneyAtStake: Money? = nil
    ) {
        self.row = row
        self.subject = subject
        self.classifications = classifications
        self.fields = fields
        self.moneyAtStake = moneyAtStake
    }

    package var discrepancies: [Classification] { classifications.filter(\.isDiscrepancy) }
    package var isInLine: Bool { discrepancies.isEmpty }

    package var detail: [String: String] {
        var result: [String: String] = ["subject": subject]
        for f in fields { result[f.name] = f.value }
        return result
    }
}

/// A reconciliation of records against records (`consortiumrx reconcile herbs|transfers|catalogues`), rendered
/// like the invoice report: `table` (entries, then the counts and, where money applies, the money at stake),
/// `csv` (one row per entry and classification) or `json`.
package struct RecordReconciliationReport<Classification: RecordClassification>: Sendable, Equatable {
    package var kind: String
    package var runID: Int64
    /// What was reconciled: "round 3 (2026 黄芪带量采购)", "consortium JLTCM".
    package var subject: String
    package var asOf: BusinessDate
    /// Everything examined, listed or not (a report may list only what is out of line).
    package var lines: Int
    package var entries: [ReportEntry<Classification>]
    /// Whether money applies to this kind of report.
    package var hasMoney: Bool

    package init(
        kind: String, runID: Int64, subject: String, asOf: BusinessDate, lines: Int? = nil,
        entries: [ReportEntry<Classification>], hasMoney: Bool
    ) {
        self.kind = kind
        self.runID = runID
        self.subject = subject
        self.asOf = asOf
        self.lines = lines ?? entries.count
        self.entries = entries
        self.hasMoney = hasMoney
    }

    /// Numbers the entries 1, 2, … in their order.
    package static func numbered(_ entries: [ReportEntry<Classification>]) -> [ReportEntry<Classification>] {
        entries.enumerated().map { i, e in
            var e = e
            e.row = i + 1
            return e
        }
    }

    package var discrepancyCount: Int { entries.filter { !$0.isInLine }.count }
    package var inLine: Int { lines - discrepancyCount }

    package func count(_ c: Classification) -> Int { entries.filter { $0.classifications.contains(c) }.count }

    /// Each entry's money at stake added up (an entry's amount is counted once), to the fen.
    package var moneyAtStake: Money {
        Money(entries.compactMap { $0.isInLine ? nil : $0.moneyAtStake?.amount.magnitude }.reduce(Decimal(0), +)).rounded(2)
    }

    /// As kept in `reconciliation_runs.counts`: lines, in_line, each classification, money_at_stake.
    package var counts: [String: Int] {
        var result = ["lines": lines, "in_line": inLine]
        for c in Classification.allCases { result[c.rawValue] = count(c) }
        return result
    }

    /// 0 everything in line, 1 discrepancies found.
    package var exitStatus: Int32 {
        discrepancyCount == 0 ? ReconciliationRules.allMatched : ReconciliationRules.discrepanciesFound
    }

    package func render(_ format: ReconciliationReport.Format) -> String {
        switch format {
        case .table: table()
        case .csv: csv()
        case .json: json()
        }
    }

    static func detailText(_ fields: [ReportField]) -> String {
        fields.map { "\($0.name)=\($0.value)" }.joined(separator: "; ")
    }

    /// Columns on a terminal: CJK ideographs, kana, hangul and full-width forms take two.
    static func displayWidth(_ s: String) -> Int {
        s.unicodeScalars.reduce(0) { width, u in
            switch u.value {
            case 0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
                0xFFE0...0xFFE6,
                0x20000...0x3FFFD:
                width + 2
            default: width + 1
            }
        }
    }

    static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - displayWidth(s)))
        return right ? fill + s : s + fill
    }

    func table() -> String {
        var out = "\(kind) run \(runID): \(subject), as of \(asOf), \(lines) examined\n"
        if !entries.isEmpty {
            let subjectWidth = min(60, max(7, entries.map { Self.displayWidth($0.subject) }.max() ?? 0))
            out +=
                Self.pad("row", 5, right: true) + "  " + Self.pad("subject", subjectWidth) + "  " + Self.pad("classification", 28)
                + "  "
            if hasMoney { out += Self.pad("money_at_stake", 14, right: true) + "  " }
            out += "detail\n"
            for e in entries {
                out +=
                    Self.pad(String(e.row), 5, right: true) + "  " + Self.pad(e.subject, subjectWidth) + "  "
                    + Self.pad(e.classifications.map(\.rawValue).joined(separator: ","), 28) + "  "
                if hasMoney { out += Self.pad((e.moneyAtStake ?? Money(0)).formatted(places: 2), 14, right: true) + "  " }
                out += Self.detailText(e.fields) + "\n"
            }
        }
        out += "summary (\(kind) run \(runID))\n"
        out += "  " + Self.pad("examined", 30) + Self.pad(String(lines), 14, right: true) + "\n"
        out += "  " + Self.pad("in_line", 30) + Self.pad(String(inLine), 14, right: true) + "\n"
        for c in Classification.allCases {
            out +=
                "  " + Self.pad(c.rawValue + (c.isDiscrepancy ? " *" : ""), 30) + Self.pad(String(count(c)), 14, right: true)
                + "\n"
        }
        if hasMoney {
            out += "  " + Self.pad("money_at_stake", 30) + Self.pad(moneyAtStake.formatted(places: 2), 14, right: true) + "\n"
        }
        out += "  (* a discrepancy)\n"
        return out
    }

    func csv() -> String {
        var out = "row,subject,classification," + (hasMoney ? "money_at_stake," : "") + "detail\n"
        for e in entries {
            for c in e.classifications {
                var fields = [String(e.row), e.subject, c.rawValue]
                if hasMoney { fields.append((e.moneyAtStake ?? Money(0)).formatted(places: 2)) }
                fields.append(Self.detailText(e.fields))
                out += fields.map(CSVWriter.field).joined(separator: ",") + "\n"
            }
        }
        return out
    }

    struct JSONEntry: Encodable {
        var row: Int
        var subject: String
        var classifications: [String]
        var inLine: Bool
        var moneyAtStake: String?
        var detail: [String: String]
    }

    struct JSONBody: Encodable {
        var kind: String
        var runId: Int64
        var subject: String
        var asOf: String
        var lines: Int
        var inLine: Int
        var counts: [String: Int]
        var moneyAtStake: String?
        var entries: [JSONEntry]
    }

    func json() -> String {
        var counts: [String: Int] = [:]
        for c in Classification.allCases { counts[c.rawValue] = count(c) }
        let body = JSONBody(
            kind: kind, runId: runID, subject: subject, asOf: asOf.description, lines: lines, inLine: inLine, counts: counts,
            moneyAtStake: hasMoney ? moneyAtStake.formatted(places: 2) : nil,
            entries: entries.map {
                JSONEntry(
                    row: $0.row, subject: $0.subject, classifications: $0.classifications.map(\.rawValue), inLine: $0.isInLine,
                    moneyAtStake: hasMoney ? ($0.moneyAtStake ?? Money(0)).formatted(places: 2) : nil,
                    detail: Dictionary($0.fields.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }))
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(body)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
