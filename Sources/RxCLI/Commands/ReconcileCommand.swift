import ArgumentParser
import Foundation
import RxDomain
import RxStore
import RxUseCases

struct ReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Reconcile a file, or records against records (exit 0 all matched, 1 discrepancies, 2 bad input).",
        subcommands: [Invoices.self, Herbs.self, Transfers.self, Catalogues.self, VBP.self])

    struct Invoices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Reconcile a distributor's invoice file against orders, receipts, member catalogues and the two-invoice rule.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var by: OperatorOptions

        @Argument(help: "The CSV file (columns: \(InvoiceFile.columns.joined(separator: ", "))).")
        var file: String

        @Option(help: "The consortium's code.")
        var consortium: String

        @OptionGroup var encoding: EncodingOption

        @Option(
            name: .customLong("code-type"),
            help:
                "What the drug_code column holds: auto (each code by its shape; a drug's own code reads as itself), insurance, standard (本位码), approval (国药准字…|规格), traceability-prefix, platform or in-house. Codes are read through the crosswalk; an unknown one is classified unmapped_code."
        )
        var codeType: String = "auto"

        @Option(help: "table, csv or json.")
        var format: String = "table"

        @Option(help: "Write the report to this file instead of standard output.")
        var output: String?

        @Option(
            name: .customLong("as-of"), help: "The date of the catalogue in effect, YYYY-MM-DD (default: today in Asia/Shanghai)."
        )
        var asOf: String?

        /// Bad input exits 2, like a bad file.
        static func badInput(_ message: String) -> ExitCode {
            FileHandle.standardError.write(Data("\(message)\n".utf8))
            return ExitCode(2)
        }

        func run() async throws {
            let encoding = try self.encoding.value(for: .file(path: file))
            guard let format = ReconciliationReport.Format(rawValue: format) else {
                throw Self.badInput("--format must be table, csv or json")
            }
            guard let codeType = FileCodeType(name: codeType) else {
                throw Self.badInput("--code-type must be one of \(FileCodeType.names)")
            }
            let date: BusinessDate
            if let asOf {
                guard let d = BusinessDate(asOf) else { throw Self.badInput("--as-of must be a date YYYY-MM-DD") }
                date = d
            } else {
                date = BusinessDate.today()
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue,
                FileManager.default.isReadableFile(atPath: file)
            else {
                throw Self.badInput("cannot read \(file)")
            }
            let (file, consortium, outputPath, by) = (self.file, self.consortium, self.output, self.by)
            let fileName = URL(fileURLWithPath: file).lastPathComponent
            let outcome: ReconcileInvoices.Outcome
            do {
                outcome = try await database.withDatabase("reconcile") { db in
                    let user = try await by.resolve(consortiumCode: consortium, database: db)
                    // The report is written as it is produced; the progress bar only on a terminal.
                    let progress = ProgressBar.forStandardError(label: fileName)
                    let output = outputPath.map { FileReconciliationOutput(path: $0) } ?? .standardOutput()
                    output.beforeWriting = { progress?.clear() }
                    defer { progress?.clear() }
                    return try await ReconcileInvoices(database: db).run(
                        input: .file(path: file), fileName: fileName, consortiumCode: consortium, encoding: encoding,
                        codeType: codeType, format: format, asOf: date, createdBy: user, output: output, progress: progress)
                }
            } catch let error as FileReconciliationOutput.CannotWrite {
                throw Self.badInput("\(error)")
            }
            if !outcome.errors.isEmpty { FileHandle.standardError.write(Data(outcome.errors.utf8)) }
            if outcome.status != 0 { throw ExitCode(outcome.status) }
        }
    }
}
