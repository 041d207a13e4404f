import ArgumentParser
import Foundation
import RxDomain
import RxStore
import RxUseCases

/// `consortiumrx crosswalk …`: the drug code crosswalk (药品编码对照) at the console.
struct CrosswalkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crosswalk", abstract: "The drug code crosswalk (药品编码对照).", subcommands: [Load.self])

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
            let (input, encoding, consortium) = (try ImportCommand.input(file), try self.encoding.value(), self.consortium)
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
}
