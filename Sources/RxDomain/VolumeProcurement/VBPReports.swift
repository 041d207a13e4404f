import Foundation

/// The console's reports of an agreement (`reconcile vbp`, `report retained-savings`): a table for a person, CSV for
/// a spreadsheet (RFC 4180, CRLF), JSON for a program. Pure: the use cases compute the rows.
package enum VBPReports {
    package enum Format: String, Sendable, CaseIterable {
        case table
        case csv
        case json
    }

    /// Completion and pace per member and generic name; a line `behind pace` for those behind.
    package static func completion(
        _ rows: [VBPCompletion], agreement: VBPAgreement, asOf: BusinessDate, format: Format
    ) -> String {
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return (try? String(decoding: encoder.encode(rows), as: UTF8.self)).map { $0 + "\n" } ?? "[]\n"
        case .csv:
            var csv = CSVWriter(header: [
                "institution_code", "generic_name", "agreed", "completed", "share", "expected", "behind_pace",
                "over_volume", "non_winning", "dispensed", "elapsed_days", "period_days",
            ])
            for r in rows {
                csv.append([
                    r.institutionCode, r.genericName, "\(r.agreed)", "\(r.completed)", r.share.map { "\($0)" } ?? "",
                    "\(r.expected)", r.behindPace ? "true" : "false", "\(r.overVolume)", "\(r.nonWinning)", "\(r.dispensed)",
                    "\(r.elapsedDays)", "\(r.periodDays)",
                ])
            }
            return csv.text
        case .table:
            var out =
                "VBP agreement \(agreement.id) \(agreement.batch) (\(agreement.periodStart) to \(agreement.periodEnd)), as of \(asOf)\n"
            for r in rows {
                let share = r.share.map { "\($0 * 100)%" } ?? "-"
                out +=
                    "  \(r.institutionCode)  \(r.genericName)  agreed \(r.agreed)  completed \(r.completed) (\(share))  expected \(r.expected)"
                    + (r.behindPace ? "  behind pace" : "") + (r.overVolume > 0 ? "  over \(r.overVolume)" : "")
                    + (r.nonWinning > 0 ? "  non-winning \(r.nonWinning)" : "") + "  dispensed \(r.dispensed)\n"
            }
            let behind = rows.filter(\.behindPace).count
            out += "\(rows.count) lines, \(behind) behind pace\n"
            return out
        }
    }

    /// Retained savings per member and generic name, each with its inputs.
    package static func retainedSavings(_ rows: [RetainedSavings], format: Format) -> String {
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return (try? String(decoding: encoder.encode(rows), as: UTF8.self)).map { $0 + "\n" } ?? "[]\n"
        case .csv, .table:
            var csv = CSVWriter(header: [
                "institution_code", "generic_name", "agreed_volume", "purchased_volume", "counted_volume",
                "pre_procurement_average_price", "winning_price", "fund_payment_ratio_pct", "insured_share_pct", "budget",
                "actual", "savings_base", "score", "grade", "retained_pct", "retained",
            ])
            for r in rows {
                csv.append([
                    r.institutionCode, r.genericName, "\(r.agreedVolume)", "\(r.purchasedVolume)", "\(r.countedVolume)",
                    r.preProcurementAveragePrice.description, r.winningPrice.description,
                    "\(r.settings.fundPaymentRatioPercent)", "\(r.settings.insuredSharePercent)",
                    r.budget.formatted(places: 2), r.actual.formatted(places: 2), r.savingsBase.formatted(places: 2),
                    r.score.map { "\($0)" } ?? "", r.grade?.rawValue ?? "", r.retainedPercent.map { "\($0)" } ?? "",
                    r.retained.map { $0.formatted(places: 2) } ?? "",
                ])
            }
            return csv.text
        }
    }
}
