import ArgumentParser
import Foundation
import RxStore

/// `--encoding utf-8|gbk` of the commands that read a file (`reconcile invoices`, `import prices`, `import herb-usage`).
struct EncodingOption: ParsableArguments {
    @Option(help: "The file's encoding: utf-8 or gbk.")
    var encoding: String = "utf-8"

    /// The encoding asked for; an unknown one is bad input (exit 2).
    func value() throws -> FileEncoding {
        guard let value = FileEncoding(rawValue: encoding.lowercased()) else {
            FileHandle.standardError.write(Data("--encoding must be utf-8 or gbk\n".utf8))
            throw ExitCode(2)
        }
        return value
    }
}
