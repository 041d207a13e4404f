import ArgumentParser
import Foundation
import RxDomain
import RxUseCases

extension ReconcileCommand {
    /// `reconcile vbp --agreement ID`: a VBP agreement's completion and pace per member and generic name (exit 0 all
    /// on pace, 1 some member behind pace, 2 bad input).
    struct VBP: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "vbp",
            abstract:
                "A national VBP agreement's completion (国家集采完成进度): per member and generic name agreed, completed, pace, over-volume, non-winning purchases; exit 1 when a member is behind pace."
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: "The agreement's id (required).")
        var agreement: String?

        @Option(help: "table, csv or json.")
        var format: String = "table"

        @Option(name: .customLong("as-of"), help: "The business date, YYYY-MM-DD (default: today in Asia/Shanghai).")
        var asOf: String?

        func run() async throws {
            let id = try ReconcileCommand.agreementID(agreement)
            guard let format = VBPReports.Format(rawValue: format) else {
                throw ReconcileCommand.badInput("--format must be table, csv or json")
            }
            let day = try ShortagesCommand.day(asOf)
            let result = try await database.withDatabase("reconcile") { db in
                try await VBPUseCases(database: db).completion(agreementID: id, asOf: day)
            }
            FileHandle.standardOutput.write(
                Data(VBPReports.completion(result.completion, agreement: result.agreement, asOf: day, format: format).utf8))
            if result.completion.contains(where: \.behindPace) { throw ExitCode(1) }
        }
    }

    /// The `--agreement` option's id, or exit 2.
    static func agreementID(_ text: String?) throws -> Int64 {
        let text = try required(text, "--agreement")
        guard let id = Int64(text), id > 0 else { throw badInput("--agreement must be an agreement's id, a positive number") }
        return id
    }
}

/// `consortiumrx report retained-savings --agreement ID`: reports computed from the records, for finance.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports for finance (exit 0 done, 1 not found, 2 bad input).",
        subcommands: [RetainedSavings.self])

    struct RetainedSavings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retained-savings",
            abstract:
                "Retained savings of a VBP agreement (集采结余留用) per member and generic name, with every input: budget, actual, savings base, grade, retained."
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: "The agreement's id (required).")
        var agreement: String?

        @Option(help: "csv or json.")
        var format: String = "csv"

        @Option(name: .customLong("as-of"), help: "Purchases up to this business date, YYYY-MM-DD (default: today).")
        var asOf: String?

        func run() async throws {
            let id = try ReconcileCommand.agreementID(agreement)
            guard format == "csv" || format == "json", let format = VBPReports.Format(rawValue: format) else {
                throw ReconcileCommand.badInput("--format must be csv or json")
            }
            let day = try ShortagesCommand.day(asOf)
            let rows = try await database.withDatabase("report") { db in
                try await VBPUseCases(database: db).retainedSavings(agreementID: id, asOf: day)
            }
            FileHandle.standardOutput.write(Data(VBPReports.retainedSavings(rows, format: format).utf8))
        }
    }
}
