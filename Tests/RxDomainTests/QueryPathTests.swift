import Foundation
import Testing

/// Every query the stores send is checked open first (`PostgresConnection.ensureOpen` in `Database.swift`): PostgresNIO
/// 1.33 never answers a query written to a closed channel (issue 19.4). So outside `Database.swift` (and the migrator,
/// which runs before the server serves), no store calls PostgresNIO's `query`, `execute` or `withTransaction`
/// itself, and a `copyFrom` comes right after `ensureOpen()`.
@Suite("19.4: every query goes through the checked path")
struct QueryPathTests {
    @Test("no store sends a query around PostgresConnection.stream/rows/row/run/inTransaction")
    func storesUseTheCheckedPath() throws {
        let store = SourceMessages.sources.appendingPathComponent("RxStore")
        let exempt: Set<String> = ["Core/Database.swift", "Core/Migrator.swift"]
        let direct = try NSRegularExpression(pattern: #"\.(query|execute|withTransaction)\("#)
        var found: [String] = []
        let files = FileManager.default.enumerator(at: store, includingPropertiesForKeys: nil)!
        for case let url as URL in files where url.pathExtension == "swift" {
            let name = url.path.replacingOccurrences(of: store.path + "/", with: "")
            guard !exempt.contains(name) else { continue }
            let lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
            for (i, line) in lines.enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces)
                if code.hasPrefix("//") { continue }
                if direct.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil {
                    found.append("\(name):\(i + 1): \(code)")
                }
                if line.contains(".copyFrom("), i == 0 || !lines[i - 1].contains("ensureOpen()") {
                    found.append("\(name):\(i + 1): copyFrom without ensureOpen() on the line before")
                }
            }
        }
        #expect(found.isEmpty, "queries around the checked path:\n\(found.joined(separator: "\n"))")
    }
}
