import Foundation
import RxDomain
import Testing

@Suite("Streamed reconciliation reports")
struct ReconciliationWriterTests {
    func line(_ n: Int, lot: String = "L1", amount: String = "25.00") -> InvoiceFileLine {
        InvoiceFileLine(
            lineNumber: n, distributorCode: "DST-A", invoiceNumber: "INV-1", invoiceDate: BusinessDate("2026-06-15")!,
            manufacturerInvoiceNumber: "M-1", manufacturerCode: "MFR-001", institutionCode: "YJ-TCMH",
            drugCode: "D1", lotNumber: lot, quantity: 10, unitPrice: Money("2.5")!, amount: Money(amount)!)
    }

    var sample: [[ReconciliationDiscrepancy]] {
        [
            ReconciliationRules.classify(line(2), .onOrder(1, line: 1, unified: "2.4", received: 9)),
            ReconciliationRules.classify(line(3), .onOrder(1, line: 1, unified: "2.5", received: 10)),
            ReconciliationRules.classify(
                line(4, lot: "a/b \"q\" \\ \t\n\u{01} 批号", amount: "25.01"),
                InvoiceLineFacts(inMemberCatalogue: false, chainProblem: "missing manufacturer code")),
            ReconciliationRules.classify(line(5), InvoiceLineFacts(duplicateOfLine: 2)),
        ]
    }

    @Test("the tally of lines one by one is the summary of all discrepancies")
    func tally() {
        var tally = ReconciliationTally()
        for l in sample { tally.add(line: l) }
        #expect(tally.summary(lines: 6) == ReconciliationSummary(lines: 6, discrepancies: sample.flatMap { $0 }))
        #expect(tally.summary(lines: 6).count(.matched) == 3)
    }

    @Test("streamed in batches, every format reads as the report rendered at once; JSON as JSONEncoder writes it")
    func batches() throws {
        let all = sample.flatMap { $0 }
        let report = ReconciliationReport(
            runID: 4, fileName: "发票 \"x\".csv", alreadyReconciled: false,
            summary: ReconciliationSummary(lines: 6, discrepancies: all), discrepancies: all)
        for format in ReconciliationReport.Format.allCases {
            var writer = ReconciliationReportWriter(format: format)
            var text = writer.begin(runID: 4, fileName: report.fileName, alreadyReconciled: false, lines: 6)
            for batch in sample { text += writer.discrepancies(batch) }
            text += writer.end(runID: 4, summary: report.summary)
            #expect(text == report.render(format), "\(format)")
        }
        // The hand-written JSON decodes to what JSONEncoder would have written.
        let streamed = try JSONSerialization.jsonObject(with: Data(report.render(.json).utf8)) as? NSDictionary
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var counts: [String: Int] = [:]
        for c in ReconciliationClassification.allCases { counts[c.rawValue] = report.summary.count(c) }
        struct Body: Encodable {
            var runId: Int64, file: String, alreadyReconciled: Bool, lines: Int, counts: [String: Int], moneyAtStake: String
            var discrepancies: [ReconciliationDiscrepancy]
        }
        let encoded = try encoder.encode(
            Body(
                runId: 4, file: report.fileName, alreadyReconciled: false, lines: 6, counts: counts,
                moneyAtStake: report.summary.moneyAtStake.formatted(places: 2), discrepancies: all))
        #expect(streamed == (try JSONSerialization.jsonObject(with: encoded) as? NSDictionary))
        for s in ["plain", "a/b", "\"\\", "\t\n\r\u{08}\u{0C}\u{01}\u{1F}", "批号 é"] {
            #expect(JSONText.string(s) == String(decoding: try encoder.encode(s), as: UTF8.self), "\(s.debugDescription)")
        }
    }
}
