import ArgumentParser
import Foundation
import RxDomain
import RxStore
import RxUseCases

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Load a file in one transaction: any bad line changes nothing.",
        subcommands: [Prices.self, HerbUsage.self, Stock.self, ShortageLists.self, Template.self])

    /// Every bad line on standard error, exit 2.
    static func rejected(_ file: String, _ rejected: ProvincialPriceImport.Rejected) -> ExitCode {
        FileHandle.standardError.write(Data("\(file): nothing was imported; fix these lines:\n\(rejected)\n".utf8))
        return ExitCode(2)
    }

    /// The file, streamed: it must be a readable file (exit 2 otherwise).
    static func input(_ file: String) throws -> FileInput {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue,
            FileManager.default.isReadableFile(atPath: file)
        else {
            FileHandle.standardError.write(Data("cannot read \(file)\n".utf8))
            throw ExitCode(2)
        }
        return .file(path: file)
    }

    struct Prices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Load a provincial winning-bid price list (columns: drug_code, unit_price, price_unit, bid_reference, effective_from)."
        )

        @OptionGroup var database: DatabaseOptions

        @Argument(help: "The CSV file.")
        var file: String

        @Option(help: "The consortium's code.")
        var consortium: String

        @OptionGroup var encoding: EncodingOption

        func run() async throws {
            let (input, encoding, consortium) = (
                try ImportCommand.input(file), try self.encoding.value(for: .file(path: file)), self.consortium
            )
            let outcome = try await database.withDatabase("import") { db in
                try await PriceImportUseCases(database: db).run(
                    input: input, encoding: encoding, consortiumCode: consortium, actor: .console("import prices"))
            }
            switch outcome {
            case .imported(let summary):
                print("prices: \(summary.lines) lines, \(summary.imported) imported, \(summary.unchanged) unchanged")
            case .rejected(let rejected):
                throw ImportCommand.rejected(file, rejected)
            }
        }
    }
}

extension ImportCommand {
    struct HerbUsage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "herb-usage",
            abstract:
                "Load members' prior-year usage of decoction pieces (columns: institution_code, drug_code, year, quantity_kg).")

        @OptionGroup var database: DatabaseOptions

        @Argument(help: "The CSV file.")
        var file: String

        @Option(help: "The consortium's code.")
        var consortium: String

        @Option(help: "The usage year: fills a missing year column, or must match it.")
        var year: Int?

        @OptionGroup var encoding: EncodingOption

        func run() async throws {
            let (input, encoding, consortium, year) = (
                try ImportCommand.input(file), try self.encoding.value(for: .file(path: file)), self.consortium, self.year
            )
            do {
                let summary = try await database.withDatabase("import") { db in
                    try await HerbUsageImportUseCases(database: db).run(
                        input: input, encoding: encoding, consortiumCode: consortium, year: year,
                        actor: .console("import herb-usage"))
                }
                print(
                    "herb usage: \(summary.lines) lines, \(summary.imported) imported, \(summary.updated) updated, \(summary.unchanged) unchanged"
                )
            } catch let rejected as HerbUsageImportUseCases.Rejected {
                throw ImportCommand.rejected(file, rejected)
            }
        }
    }
}

extension ImportCommand {
    struct Stock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Load a member's opening balances (columns: drug_code, lot_number, expiry_date, quantity, optional location and unit_cost)."
        )

        @OptionGroup var database: DatabaseOptions

        @Argument(help: "The CSV file.")
        var file: String

        @Option(help: "The member's (institution's) code.")
        var institution: String

        @Option(help: "The consortium's code (a member's code is unique within its consortium only).")
        var consortium: String

        @OptionGroup var encoding: EncodingOption

        func run() async throws {
            let (input, encoding, institution, consortium) = (
                try ImportCommand.input(file), try self.encoding.value(for: .file(path: file)), self.institution, self.consortium
            )
            do {
                let summary = try await database.withDatabase("import") { db in
                    try await StockImportUseCases(database: db).run(
                        input: input, encoding: encoding, institutionCode: institution, consortiumCode: consortium,
                        today: BusinessDate.today(), actor: .console("import stock"))
                }
                print(
                    "stock: \(summary.lines) lines, \(summary.movements) opening movements at \(summary.institutionCode), \(summary.lots) lots, quantity \(DecimalText.plain(summary.quantity))"
                )
            } catch let rejected as StockImportUseCases.Rejected {
                throw ImportCommand.rejected(file, rejected)
            }
        }
    }
}

extension ImportCommand {
    struct ShortageLists: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "shortage-lists",
            abstract:
                "Load shortage list memberships (columns: drug_code, list_kind, region, valid_from, valid_until, source); all or nothing."
        )

        @OptionGroup var database: DatabaseOptions

        @Argument(help: "The CSV file.")
        var file: String

        @OptionGroup var encoding: EncodingOption

        func run() async throws {
            let input = try ImportCommand.input(file)
            let encoding = try self.encoding.value(for: input)
            guard let data = FileManager.default.contents(atPath: file),
                let text = String(data: data, encoding: encoding.foundation)
            else {
                FileHandle.standardError.write(Data("cannot read \(file) as \(encoding.rawValue) text\n".utf8))
                throw ExitCode(2)
            }
            let name = URL(fileURLWithPath: file).lastPathComponent
            do {
                let (lines, changed) = try await database.withDatabase("import") { db in
                    try await ShortageListImportUseCases(database: db).run(
                        text: text, file: name, actor: .console("import shortage-lists"))
                }
                print("shortage lists: \(lines) lines, \(changed) memberships added or changed")
            } catch let rejected as ShortageListImportUseCases.Rejected {
                throw ImportCommand.rejected(file, rejected)
            }
        }
    }
}

extension ImportCommand {
    /// `import template KIND`: the template of an import, for Excel (the Chinese headers and one example row).
    struct Template: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "template",
            abstract:
                "Write the template of an import (\(ImportTemplate.allCases.map(\.rawValue).joined(separator: ", "))): Chinese headers and one example row, UTF-8 with a BOM for Excel."
        )

        @Argument(help: "The import: \(ImportTemplate.allCases.map(\.rawValue).joined(separator: ", ")).")
        var kind: String

        @Option(name: .shortAndLong, help: "The file to write (default: standard output).")
        var output: String?

        func run() throws {
            guard let template = ImportTemplate(rawValue: kind) else {
                FileHandle.standardError.write(
                    Data("no import \(kind): one of \(ImportTemplate.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
                throw ExitCode(2)
            }
            let data = Data(template.csv.utf8)
            guard let output else {
                FileHandle.standardOutput.write(data)
                return
            }
            guard FileManager.default.createFile(atPath: output, contents: data) else {
                FileHandle.standardError.write(Data("cannot write \(output)\n".utf8))
                throw ExitCode(2)
            }
        }
    }
}
