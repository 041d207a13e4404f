import ArgumentParser
import Foundation
import RxDomain
import RxStore
import RxUseCases

/// `reconcile herbs|transfers|catalogues`: reports of records against records, no file. The reports are use cases
/// (`RecordReconciliations.herbs`, `.transfers`, `.catalogues`); these commands read options, write output and
/// map the outcome to the exit status.
/// Every bad option (missing, malformed, an unknown round or consortium) exits 2, like a bad invoice file.
extension ReconcileCommand {
    /// The options every report shares.
    struct ReportOptions: ParsableArguments {
        @Option(help: "table, csv or json.")
        var format: String = "table"

        @Option(help: "Write the report to this file instead of standard output.")
        var output: String?

        @Option(
            name: .customLong("as-of"), help: "The business date to reconcile on, YYYY-MM-DD (default: today in Asia/Shanghai).")
        var asOf: String?

        /// The format and the date, or exit 2 naming the bad option.
        func parsed() throws -> (ReconciliationReport.Format, BusinessDate) {
            guard let format = ReconciliationReport.Format(rawValue: format) else {
                throw ReconcileCommand.badInput("--format must be table, csv or json")
            }
            guard let asOf else { return (format, BusinessDate.today()) }
            guard let date = BusinessDate(asOf) else { throw ReconcileCommand.badInput("--as-of must be a date YYYY-MM-DD") }
            return (format, date)
        }

        /// Writes the report, shows errors, and exits with the report's status.
        func finish<C: RecordClassification>(_ outcome: RecordReconciliationOutcome<C>) throws {
            if !outcome.errors.isEmpty { FileHandle.standardError.write(Data(outcome.errors.utf8)) }
            if !outcome.output.isEmpty {
                if let output {
                    guard FileManager.default.createFile(atPath: output, contents: Data(outcome.output.utf8)) else {
                        throw ReconcileCommand.badInput("cannot write \(output)")
                    }
                } else {
                    FileHandle.standardOutput.write(Data(outcome.output.utf8))
                }
            }
            if outcome.status != 0 { throw ExitCode(outcome.status) }
        }
    }

    static func badInput(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
        return ExitCode(ReconciliationRules.badInput)
    }

    static var user: String {
        let name =
            ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? ProcessInfo.processInfo.userName
        return name.isEmpty ? "unknown" : name
    }

    static func required(_ value: String?, _ option: String) throws -> String {
        guard let value, !value.trimmingCharacters(in: .whitespaces).isEmpty else { throw badInput("\(option) is required") }
        return value
    }

    struct Herbs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "A herb round's commitments against purchases: per member and item committed, ordered, received, completion and pace; and rejected lots received."
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var report: ReportOptions
        @OptionGroup var by: OperatorOptions

        @Option(help: "The herb round's id (required).")
        var round: String?

        func run() async throws {
            let text = try ReconcileCommand.required(round, "--round")
            guard let roundID = Int64(text), roundID > 0 else {
                throw ReconcileCommand.badInput("--round must be a round's id, a positive number")
            }
            let (format, asOf) = try report.parsed()
            let outcome = try await database.withDatabase("reconcile") { db in
                try await RecordReconciliations(database: db).herbs(
                    roundID: roundID, asOf: asOf, format: format,
                    createdBy: try await by.resolve(consortiumCode: nil, database: db))
            }
            try report.finish(outcome)
        }
    }

    struct Transfers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Transfer approvals of hospital preparations: approved, shipped, received, remaining; and every shipment outside its approval."
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var report: ReportOptions
        @OptionGroup var by: OperatorOptions

        @Option(help: "The consortium's code (required).")
        var consortium: String?

        func run() async throws {
            let consortium = try ReconcileCommand.required(consortium, "--consortium")
            let (format, asOf) = try report.parsed()
            let outcome = try await database.withDatabase("reconcile") { db in
                try await RecordReconciliations(database: db).transfers(
                    consortiumCode: consortium, asOf: asOf, format: format,
                    createdBy: try await by.resolve(consortiumCode: consortium, database: db))
            }
            try report.finish(outcome)
        }
    }

    struct Catalogues: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Members' own lists against the consortium catalogue in effect: drugs not in it, or restricted to other institution levels."
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var report: ReportOptions
        @OptionGroup var by: OperatorOptions

        @Option(help: "The consortium's code (required).")
        var consortium: String?

        func run() async throws {
            let consortium = try ReconcileCommand.required(consortium, "--consortium")
            let (format, asOf) = try report.parsed()
            let outcome = try await database.withDatabase("reconcile") { db in
                try await RecordReconciliations(database: db).catalogues(
                    consortiumCode: consortium, asOf: asOf, format: format,
                    createdBy: try await by.resolve(consortiumCode: consortium, database: db))
            }
            try report.finish(outcome)
        }
    }
}
