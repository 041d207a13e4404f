import Foundation

/// A drug code of a reconciled invoice file that the crosswalk did not map (`unmapped_code`), with the lines that
/// wrote it: what `consortiumrx crosswalk unmapped --run ID` lists, so that someone maps it and reconciles the
/// file again.
package struct UnmappedCode: Sendable, Equatable, Codable {
    /// The code as the file wrote it.
    package var code: String
    /// Why it is unmapped (no mapping of its type on the date, not the shape of `--code-type`, …).
    package var reason: String
    package var lines: Int
    /// The first few line numbers, for finding them in the file.
    package var firstLines: [Int]
    /// The invoiced amount of its lines, CNY.
    package var amount: Money

    package init(code: String, reason: String, lines: Int, firstLines: [Int], amount: Money) {
        self.code = code
        self.reason = reason
        self.lines = lines
        self.firstLines = firstLines
        self.amount = amount
    }

    enum CodingKeys: String, CodingKey { case code, reason, lines, firstLines, amount }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(code, forKey: .code)
        try c.encode(reason, forKey: .reason)
        try c.encode(lines, forKey: .lines)
        try c.encode(firstLines, forKey: .firstLines)
        try c.encode(amount.formatted(places: 2), forKey: .amount)
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.decode(String.self, forKey: .code)
        reason = try c.decode(String.self, forKey: .reason)
        lines = try c.decode(Int.self, forKey: .lines)
        firstLines = try c.decode([Int].self, forKey: .firstLines)
        let text = try c.decode(String.self, forKey: .amount)
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw DecodingError.dataCorruptedError(forKey: .amount, in: c, debugDescription: "not an amount")
        }
        amount = Money(value)
    }

    /// How many line numbers are listed per code.
    package static let linesShown = 10

    /// The report: a table for a person, CSV for a spreadsheet, JSON for a program.
    package static func report(_ codes: [UnmappedCode], runID: Int64, format: VBPReports.Format) -> String {
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return (try? String(decoding: encoder.encode(codes), as: UTF8.self)).map { $0 + "\n" } ?? "[]\n"
        case .csv:
            var csv = CSVWriter(header: ["code", "reason", "lines", "first_lines", "amount"])
            for c in codes {
                csv.append([
                    c.code, c.reason, "\(c.lines)", c.firstLines.map(String.init).joined(separator: " "),
                    c.amount.formatted(places: 2),
                ])
            }
            return csv.text
        case .table:
            guard !codes.isEmpty else { return "run \(runID): every drug code was mapped\n" }
            var out = "run \(runID): \(codes.count) unmapped drug codes\n"
            for c in codes {
                let more = c.lines > c.firstLines.count ? " …" : ""
                out +=
                    "  \(c.code)  \(c.lines) lines (\(c.firstLines.map(String.init).joined(separator: ", "))\(more))"
                    + "  ¥\(c.amount.formatted(places: 2))  \(c.reason)\n"
            }
            out +=
                "Map them (consortiumrx crosswalk load, or POST /v1/consortia/{code}/crosswalk), then reconcile the file again.\n"
            return out
        }
    }
}
