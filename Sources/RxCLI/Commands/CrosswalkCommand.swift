import ArgumentParser
import Foundation
import RxDomain
import RxStore
import RxUseCases

/// `consortiumrx crosswalk …`: the drug code crosswalk (药品编码对照) at the console.
struct CrosswalkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crosswalk", abstract: "The drug code crosswalk (药品编码对照).",
        subcommands: [Load.self, End.self, Unmapped.self])

    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Load mappings in one transaction, any bad line changing nothing (columns: code_type, code, drug_code, package_factor, valid_from; optional specification, valid_to, source)."
        )

        @OptionGroup var database: DatabaseOptions

        @Argument(help: "The CSV file.")
        var file: String

        @Option(help: "The consortium whose mappings these are.")
        var consortium: String?

        @Flag(help: "National mappings (master data, seen by every consortium) instead of a consortium's.")
        var national = false

        @Option(help: "The source of a line that names none (default: the file's name).")
        var source: String?

        @OptionGroup var encoding: EncodingOption

        func validate() throws {
            guard (consortium == nil) == national else {
                throw ValidationError("give either --consortium CODE or --national")
            }
        }

        func run() async throws {
            let (input, encoding, consortium) = (
                try ImportCommand.input(file), try self.encoding.value(for: .file(path: file)), self.consortium
            )
            let source = self.source ?? "file \(URL(fileURLWithPath: file).lastPathComponent)"
            let outcome = try await database.withDatabase("crosswalk") { db in
                try await CrosswalkUseCases(database: db).load(
                    input, encoding: encoding, consortiumCode: consortium, defaultSource: source,
                    actor: .console("crosswalk load"))
            }
            switch outcome {
            case .loaded(let count):
                print("crosswalk: \(count) mappings loaded into \(consortium ?? "the national rows")")
            case .rejected(let refusals):
                // Reasons in Chinese, as `import stock` gives them (the reader of the file reads Chinese).
                let lines = refusals.map { "line \($0.line): \($0.field)：\(ChineseMessages.translate($0.reason) ?? $0.reason)" }
                    .joined(separator: "\n")
                FileHandle.standardError.write(Data("\(file): nothing was loaded; fix these lines:\n\(lines)\n".utf8))
                throw ExitCode(2)
            }
        }
    }

    /// `crosswalk unmapped --run ID`: the codes of a reconciled invoice file the crosswalk did not map.
    struct Unmapped: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "The drug codes an invoice reconciliation run could not map (unmapped_code), with their lines and amounts; exit 0, 1 when the run had some, 2 bad input."
        )

        @OptionGroup var database: DatabaseOptions

        @Option(name: .customLong("run"), help: "The reconciliation run's id (required), as `reconcile invoices` printed it.")
        var runID: String?

        @Option(help: "table, csv or json.")
        var format: String = "table"

        func run() async throws {
            let text = try ReconcileCommand.required(runID, "--run")
            guard let id = Int64(text), id > 0 else {
                throw ReconcileCommand.badInput("--run must be a run's id, a positive number")
            }
            guard let format = VBPReports.Format(rawValue: format) else {
                throw ReconcileCommand.badInput("--format must be table, csv or json")
            }
            let found = try await database.withDatabase("crosswalk") { db in
                try await CrosswalkUseCases(database: db).unmapped(runID: id)
            }
            guard let found else { throw ReconcileCommand.badInput("no invoice reconciliation run \(id)") }
            FileHandle.standardOutput.write(Data(UnmappedCode.report(found.codes, runID: id, format: format).utf8))
            if !found.codes.isEmpty { throw ExitCode(1) }
        }
    }

    /// `crosswalk end ID --last-day DATE`: ends a mapping, national ones included (master data, kept at the console).
    struct End: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "End a mapping after its last day, a national one too (exit 0 ended, 1 no such mapping, 2 bad input or refused)."
        )

        @OptionGroup var database: DatabaseOptions

        @Argument(help: "The mapping's id.")
        var id: Int64

        @Option(name: .customLong("last-day"), help: "The last day it holds, YYYY-MM-DD.")
        var lastDay: String

        func run() async throws {
            guard let day = BusinessDate(lastDay) else { throw ReconcileCommand.badInput("--last-day must be a date YYYY-MM-DD") }
            let (id, lastDay) = (self.id, day)
            do {
                let ended = try await database.withDatabase("crosswalk") { db in
                    try await CrosswalkUseCases(database: db).endAtConsole(
                        id: id, lastDay: lastDay, actor: .console("crosswalk end"))
                }
                print("crosswalk: mapping \(id) (\(ended.code.type.rawValue) \(ended.code)) now ends on \(lastDay)")
            } catch let error as DomainError {
                FileHandle.standardError.write(Data("crosswalk end: \(error.message)\n".utf8))
                if case .notFound = error { throw ExitCode(1) }
                throw ExitCode(2)
            }
        }
    }
}
