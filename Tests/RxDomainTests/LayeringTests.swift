import Foundation
import Testing

/// The layers keep to their jobs (issue 20): RxDomain decides, RxUseCases orchestrates, RxStore only speaks SQL,
/// RxAPI and RxCLI translate. A source scan, so that a rule written in the wrong place fails here, by file and line.
@Suite("Layers: each rule has one home")
struct LayeringTests {
    /// Each line of code (comments dropped) of the Swift files under `Sources/<target>`, as `file:line: code`.
    static func lines(of target: String) throws -> [(place: String, code: String)] {
        let root = SourceMessages.sources.appendingPathComponent(target)
        var found: [(String, String)] = []
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)!
        for case let url as URL in files where url.pathExtension == "swift" {
            let name = target + "/" + url.path.replacingOccurrences(of: root.path + "/", with: "")
            for (i, line) in try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n").enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces)
                if code.hasPrefix("//") { continue }
                found.append(("\(name):\(i + 1)", code))
            }
        }
        return found.sorted { $0.0 < $1.0 }
    }

    static func matches(_ pattern: String, in target: String) throws -> [String] {
        let regex = try NSRegularExpression(pattern: pattern)
        return try lines(of: target).filter {
            regex.firstMatch(in: $0.code, range: NSRange($0.code.startIndex..., in: $0.code)) != nil
        }
        .map { "\($0.place): \($0.code)" }
    }

    static let sql = #"\b(SELECT\s.+\sFROM|INSERT INTO|UPDATE\s+\w+\s+SET|DELETE FROM|COPY\s+\w+)\b"#

    @Test("RxStore decides nothing: no permission checks, no rule refusals")
    func storeDecidesNothing() throws {
        // `Core/Database.swift` maps PostgreSQL's errors (a violated constraint, a serialization failure) to
        // problems; that is translation, not a rule.
        let decisions = try Self.matches(
            #"principal\.require\(|by principal: Principal\b|DomainError\.(invalid|unprocessable|conflict|forbidden)\(|throw \.(invalid|unprocessable|conflict|forbidden)\("#,
            in: "RxStore"
        ).filter { !$0.hasPrefix("RxStore/Core/Database.swift:") }
        #expect(decisions.isEmpty, "decisions in the store:\n\(decisions.joined(separator: "\n"))")
    }

    @Test("RxStore asks no rule: the use case calls RxDomain and hands the store its decision")
    func storeAsksNoRule() throws {
        let calls = try Self.matches(
            #"\b[A-Z]\w*(Rules|Timeline|Reconciliation|Policy|Check)\.[a-z]\w*\(|\.allows\(|\.may\("#, in: "RxStore")
        #expect(calls.isEmpty, "rules asked in the store:\n\(calls.joined(separator: "\n"))")
    }

    @Test("RxUseCases, RxAPI, RxCLI and RxDomain write no SQL and do not import PostgresNIO (but for the wiring)")
    func sqlOnlyInTheStore() throws {
        for target in ["RxUseCases", "RxAPI", "RxCLI", "RxDomain"] {
            let sql = try Self.matches(Self.sql, in: target)
            #expect(sql.isEmpty, "SQL outside RxStore:\n\(sql.joined(separator: "\n"))")
        }
        for target in ["RxUseCases", "RxDomain"] {
            let imports = try Self.matches(#"^(internal |package )?import PostgresNIO"#, in: target)
            #expect(imports.isEmpty, "PostgresNIO outside the store:\n\(imports.joined(separator: "\n"))")
        }
    }

    @Test("RxAPI and RxCLI reach the data through the use cases, not the stores")
    func translatorsCallUseCases() throws {
        var direct: [String] = []
        for target in ["RxAPI", "RxCLI"] { direct += try Self.matches(#"\b[A-Z]\w*Store\("#, in: target) }
        #expect(direct.isEmpty, "stores called from a translator:\n\(direct.joined(separator: "\n"))")
    }
}
