import ArgumentParser
import Foundation
import RxDomain
import RxStore

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Load a file in one transaction: any bad line changes nothing.",
        subcommands: [Prices.self, HerbUsage.self])

    struct Prices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load a provincial winning-bid price list (columns: drug_code, unit_price, price_unit, bid_reference, effective_from).")

        @OptionGroup var database: DatabaseOptions

        @Argument(help: "The CSV file.")
        var file: String

        @Option(help: "The consortium's code.")
        var consortium: String

        func run() async throws {
            let text = try InputFile.read(file)
            let consortium = self.consortium
            do {
                let summary = try await database.withDatabase("import") { db in
                    try await ProvincialPriceImport(database: db).run(text: text, consortiumCode: consortium, actor: .console("import prices"))
                }
                print("prices: \(summary.lines) lines, \(summary.imported) imported, \(summary.unchanged) unchanged")
            } catch let rejected as ProvincialPriceImport.Rejected {
                FileHandle.standardError.write(Data("\(file): nothing was imported; fix these lines:\n\(rejected)\n".utf8))
                throw ExitCode(2)
            }
        }
    }
}

extension ImportCommand {
    struct HerbUsage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "herb-usage",
            abstract: "Load members' prior-year usage of decoction pieces (columns: institution_code, drug_code, year, quantity_kg).")

        @OptionGroup var database: DatabaseOptions

        @Argument(help: "The CSV file.")
        var file: String

        @Option(help: "The consortium's code.")
        var consortium: String

        @Option(help: "The usage year: fills a missing year column, or must match it.")
        var year: Int?

        func run() async throws {
            let text = try InputFile.read(file)
            let (consortium, year) = (self.consortium, self.year)
            do {
                let summary = try await database.withDatabase("import") { db in
                    try await HerbUsageImport(database: db).run(
                        text: text, consortiumCode: consortium, year: year, actor: .console("import herb-usage"))
                }
                print("herb usage: \(summary.lines) lines, \(summary.imported) imported, \(summary.updated) updated, \(summary.unchanged) unchanged")
            } catch let rejected as HerbUsageImport.Rejected {
                FileHandle.standardError.write(Data("\(file): nothing was imported; fix these lines:\n\(rejected)\n".utf8))
                throw ExitCode(2)
            }
        }
    }
}

/// Reading input files, with errors a person can act on.
enum InputFile {
    static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ValidationError("\(path) is not UTF-8 text")
        }
        return text
    }
}
