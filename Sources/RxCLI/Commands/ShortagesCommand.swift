import ArgumentParser
import Foundation
import RxDomain
import RxUseCases

/// `consortiumrx shortages scan|report`: the shortage scan for cron, and the open shortages in the direct-reporting
/// form.
struct ShortagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shortages",
        abstract:
            "Shortage monitoring (短缺药品监测): scan a consortium, report its open shortages (exit 0 done, 1 not found, 2 bad input).",
        subcommands: [Scan.self, Report.self])

    static func day(_ text: String?) throws -> BusinessDate {
        guard let text else { return BusinessDate.today() }
        guard let date = BusinessDate(text) else { throw ExportCommand.badInput("--as-of must be a date YYYY-MM-DD") }
        return date
    }

    struct Scan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Scan every drug of the consortium: open, update, reopen or close its shortage records; prints what changed (for cron)."
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: "The consortium's code.")
        var consortium: String

        @Option(name: .customLong("as-of"), help: "The business date, YYYY-MM-DD (default: today in Asia/Shanghai).")
        var asOf: String?

        func run() async throws {
            let today = try ShortagesCommand.day(asOf)
            let code = consortium
            let result = try await database.withDatabase("shortages") { db in
                try await ShortageScanUseCases(database: db).scan(
                    consortiumCode: code, today: today, actor: .console("shortages scan"))
            }
            print(Self.summary(result, consortium: code))
        }

        /// One line per record changed, then the counts.
        static func summary(_ result: ShortageScanResult, consortium: String) -> String {
            var lines: [String] = []
            func add(_ what: String, _ records: [ShortageRecord]) {
                for r in records {
                    let members = r.affected.map(\.institutionCode).joined(separator: ",")
                    lines.append("\(what) \(r.id.map(String.init) ?? "-") \(r.drugCode) \(r.level.rawValue) [\(members)]")
                }
            }
            add("opened", result.opened)
            add("reopened", result.reopened)
            add("updated", result.updated)
            add("closed", result.closed)
            lines.append(
                "\(consortium) \(result.on): \(result.drugsScanned) drugs scanned, \(result.opened.count) opened, "
                    + "\(result.reopened.count) reopened, \(result.updated.count) updated, \(result.closed.count) closed")
            return lines.joined(separator: "\n")
        }
    }

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Every open shortage in the shape of the direct-reporting form (短缺药品信息直报): CSV with one header, or a JSON array."
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: "The consortium's code.")
        var consortium: String

        @Option(help: "csv or json.")
        var format: String = "csv"

        @Option(name: .customLong("as-of"), help: "The business date, YYYY-MM-DD (default: today in Asia/Shanghai).")
        var asOf: String?

        func run() async throws {
            guard format == "csv" || format == "json" else { throw ExportCommand.badInput("--format must be csv or json") }
            let today = try ShortagesCommand.day(asOf)
            let code = consortium
            let reports = try await database.withDatabase("shortages") { db in
                try await ShortageReadUseCases(database: db).report(consortiumCode: code, today: today)
            }
            let text = format == "json" ? Self.json(reports) : Self.csv(reports)
            try? FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
        }

        /// The reports' CSV under one header (each report's own header dropped after the first).
        static func csv(_ reports: [ShortageEscalationReport]) -> String {
            guard let first = reports.first else { return ShortageEscalationReport.emptyCSV }
            var text = first.csv
            for report in reports.dropFirst() {
                let body = report.csv
                // CSVWriter ends lines with CRLF, one Character in Swift: cut after the header's.
                if let end = body.range(of: "\r\n") { text += body[end.upperBound...] }
            }
            return text
        }

        static func json(_ reports: [ShortageEscalationReport]) -> String {
            "[" + reports.map(\.json).joined(separator: ",") + "]\n"
        }
    }
}
