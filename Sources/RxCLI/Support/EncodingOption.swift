import ArgumentParser
import Foundation
import RxStore

/// `--encoding auto|utf-8|gbk` of the commands that read a file (`reconcile invoices`, `import prices`,
/// `import herb-usage`, `import stock`, `crosswalk load`). `auto`, the default, reads UTF-8 (with or without a
/// byte-order mark) and GBK alike (`FileEncoding.detect`).
struct EncodingOption: ParsableArguments {
    @Option(help: "The file's encoding: auto (UTF-8 with or without BOM, or GBK), utf-8 or gbk.")
    var encoding: String = "auto"

    /// The encoding asked for, or found in `input` for `auto`; an unknown one is bad input (exit 2).
    func value(for input: FileInput) throws -> FileEncoding {
        let name = encoding.lowercased()
        if name == "auto" {
            do { return try FileEncoding.detect(input) } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode(2)
            }
        }
        guard let value = FileEncoding(rawValue: name) else {
            FileHandle.standardError.write(Data("--encoding must be auto, utf-8 or gbk\n".utf8))
            throw ExitCode(2)
        }
        return value
    }
}
