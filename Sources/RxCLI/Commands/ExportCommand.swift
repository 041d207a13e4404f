import ArgumentParser
import Foundation
import RxDomain
import RxUseCases

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write data in the shapes others read (exit 0 done, 1 not found, 2 bad input).",
        subcommands: [Stock.self])

    /// Bad input exits 2.
    static func badInput(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
        return ExitCode(2)
    }

    struct Stock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "A member's stock in the national insurance 进销存 shapes: 3501 counts (at the end of --to), 3502 changes, 3503 purchases, 3505 sales."
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: "The member's (institution's) code.")
        var institution: String

        @Option(help: "The consortium's code (a member's code is unique within its consortium only).")
        var consortium: String

        @Option(help: "The shape: nhsa.")
        var format: String = "nhsa"

        @Option(help: "The first business date, YYYY-MM-DD.")
        var from: String

        @Option(help: "The last business date, YYYY-MM-DD (the 3501 count is the stock at its end).")
        var to: String

        @Option(help: "counts (3501), changes (3502), purchases (3503), sales (3505) or all.")
        var shape: String = "all"

        @Option(help: "csv or json.")
        var output: String = "csv"

        @Option(
            help:
                "Write one file per interface (<institution>_<code>_<from>_<to>.csv or one .json) into this directory instead of standard output; needed for csv of more than one shape."
        )
        var directory: String?

        func run() async throws {
            guard format == "nhsa" else { throw ExportCommand.badInput("--format must be nhsa") }
            guard let from = BusinessDate(self.from) else { throw ExportCommand.badInput("--from must be a date YYYY-MM-DD") }
            guard let to = BusinessDate(self.to) else { throw ExportCommand.badInput("--to must be a date YYYY-MM-DD") }
            guard from <= to else { throw ExportCommand.badInput("--to must not be before --from") }
            guard let interfaces = NHSAInterface.parse(shape: shape) else {
                throw ExportCommand.badInput("--shape must be counts, changes, purchases, sales or all")
            }
            guard output == "csv" || output == "json" else { throw ExportCommand.badInput("--output must be csv or json") }
            if output == "csv" && interfaces.count > 1 && directory == nil {
                throw ExportCommand.badInput("--output csv of more than one shape needs --directory (or --output json)")
            }
            let (institution, consortium) = (self.institution, self.consortium)
            let export = try await database.withDatabase("export") { db in
                try await StockExportUseCases(database: db).export(
                    institutionCode: institution, consortiumCode: consortium, from: from, to: to, interfaces: interfaces)
            }
            let stem = "\(export.institutionCode)_"
            var files: [(name: String, data: Data)] = []
            if output == "json" {
                let data = try NHSAStockExport.json(
                    institutionCode: export.institutionCode, from: from, to: to, export.records)
                files.append((stem + "\(interfaces.count == 1 ? interfaces[0].rawValue : "nhsa")_\(from)_\(to).json", data))
            } else {
                for (interface, rows) in export.records {
                    files.append(
                        (stem + "\(interface.rawValue)_\(from)_\(to).csv", Data(NHSAStockExport.csv(interface, rows).utf8)))
                }
            }
            guard let directory else {
                // A reader that stops early (`| head`) ends the output, not the process with a crash.
                for file in files { try? FileHandle.standardOutput.write(contentsOf: file.data) }
                return
            }
            let folder = URL(fileURLWithPath: directory, isDirectory: true)
            for file in files {
                let url = folder.appendingPathComponent(file.name)
                do { try file.data.write(to: url) } catch { throw ExportCommand.badInput("cannot write \(url.path)") }
                let count = export.records.first { file.name.contains("_\($0.interface.rawValue)_") }?.rows.count
                print("\(url.path)\(count.map { ": \($0) records" } ?? "")")
            }
        }
    }
}
