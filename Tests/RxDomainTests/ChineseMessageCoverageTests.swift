import Foundation
import Testing

@testable import RxDomain

@Suite("Problems in Chinese (issue 19.13)")
struct ChineseMessageCoverageTests {
    @Test("Accept-Language picks Chinese when it weighs zh highest, English otherwise")
    func preference() {
        #expect(ProblemLanguage(acceptLanguage: nil) == .english)
        #expect(ProblemLanguage(acceptLanguage: "zh") == .chinese)
        #expect(ProblemLanguage(acceptLanguage: "zh-CN,zh;q=0.9,en;q=0.8") == .chinese)
        #expect(ProblemLanguage(acceptLanguage: "en-US,en;q=0.9,zh;q=0.8") == .english)
        #expect(ProblemLanguage(acceptLanguage: "fr, zh-Hans;q=0.5") == .chinese)
        #expect(ProblemLanguage(acceptLanguage: "zh;q=0, en") == .english)
        #expect(ProblemLanguage(acceptLanguage: "de") == .english)
    }

    @Test("a message is translated by its template, values kept and a reason inside translated too")
    func templates() throws {
        #expect(ChineseMessages.translate("must be at most 200 characters") == "最多 200 个字符")
        #expect(ChineseMessages.translate("a JSON body is required") == "需要 JSON 请求体")
        // Institution levels inside a message read as the Chinese words, a list of them with 、.
        #expect(
            ChineseMessages.translate("restricted to tertiary, secondary institutions, not primary")
                == "仅限三级、二级机构使用，基层机构不可用")
        #expect(
            ChineseMessages.translateFieldMessage("q: must be at most 100 characters; limit: must be at least 1")
                == "q：最多 100 个字符；limit：不能小于 1")
        #expect(ChineseMessages.translate("nothing like this is in the catalogue") == nil)
        let problem = LocalizedProblem(
            detail: "q: must be at most 100 characters",
            errors: [FieldError(field: "q", reason: "must be at most 100 characters")],
            in: .chinese)
        #expect(problem.language == .chinese && problem.errors == [FieldError(field: "q", reason: "最多 100 个字符")])
        // A message not in the catalogue stays English, and says so.
        let unknown = LocalizedProblem(detail: "something new", errors: [], in: .chinese)
        #expect(unknown.language == .english && unknown.detail == "something new")
    }

    @Test("every message the sources raise has its Chinese in the catalogue")
    func everyMessageIsTranslated() throws {
        let messages = try SourceMessages.all()
        #expect(messages.count > 200, "the scan found only \(messages.count) messages")
        let missing = messages.filter { !SourceMessages.isTranslated($0.template) }
        #expect(missing.count == 0, "no Chinese for:\n\(missing.map { "\($0.file): \($0.template)" }.joined(separator: "\n"))")
    }
}

/// The messages raised in `Sources/`, as templates (`{}` for each interpolated value): the literal arguments of
/// `DomainError`'s cases and `invalid`, of `FieldError(… reason:)`, of `HTTPError(… message:)` and of the contract
/// validator's `fail`.
enum SourceMessages {
    struct Message { var file: String; var template: String }

    static var sources: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
    }

    /// The messages raised in the Swift files of `Sources/<folder>` (as `file: template`), with those that have no
    /// Chinese, and how many files were read.
    static func coverage(of folder: String) throws -> (files: Int, messages: [String], missing: [String]) {
        let files = try FileManager.default.contentsOfDirectory(
            at: sources.appendingPathComponent(folder), includingPropertiesForKeys: nil
        ).filter { $0.pathExtension == "swift" }
        var messages: [String] = []
        var missing: [String] = []
        for url in files {
            for template in scan(try String(contentsOf: url, encoding: .utf8)) {
                messages.append("\(url.lastPathComponent): \(template)")
                if !isTranslated(template) { missing.append("\(url.lastPathComponent): \(template)") }
            }
        }
        return (files.count, messages, missing)
    }

    static func all() throws -> [Message] {
        var found: [Message] = []
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
        for case let url as URL in files where url.pathExtension == "swift" {
            let text = try String(contentsOf: url, encoding: .utf8)
            let name = url.path.replacingOccurrences(of: sources.path + "/", with: "")
            if name.hasPrefix("RxDomain/Messages/") { continue }
            found += scan(text).map { Message(file: name, template: $0) }
        }
        return found
    }

    /// `{}: reason` is a field and its reason: the reason must be translated.
    static func isTranslated(_ template: String) -> Bool {
        // Only values, no words ("{}: {}" joins a field and a reason that are checked where they are raised).
        if template.replacingOccurrences(of: "{}", with: "").allSatisfy({ $0 == ":" || $0 == " " }) { return true }
        if ChineseMessages.has(template: template) { return true }
        // A field and its reason ("{}: reason", "limit: reason"): the reason must be translated.
        if let colon = template.range(of: ": "),
            template[..<colon.lowerBound].allSatisfy({ $0.isLetter || $0 == "{" || $0 == "}" || $0 == "." })
        {
            return ChineseMessages.has(template: String(template[colon.upperBound...]))
        }
        return false
    }

    static let callers = [
        "badRequest(", "unauthorized(", "forbidden(", "notFound(", "conflict(", "preconditionFailed(",
        "preconditionRequired(", "unprocessable(", "unavailable(", "reason: ", "fail(", "message: ",
    ]

    static func scan(_ text: String) -> [String] {
        let chars = Array(text)
        var templates: [String] = []
        var i = 0
        while i < chars.count {
            if let caller = callers.first(where: { matches(chars, at: i, $0) }) {
                i += caller.count
                // The text may start on the next line (`throw .badRequest(\n    "…"`).
                var k = i
                while k < chars.count, chars[k] == " " || chars[k] == "\n" { k += 1 }
                if let (template, end) = literal(chars, at: k) {
                    templates.append(template)
                    i = end
                }
                continue
            }
            if matches(chars, at: i, "invalid(") {
                // invalid(field, "reason"): skip the field argument to the comma at depth 0.
                var j = i + "invalid(".count
                if let (_, end) = literal(chars, at: j) {
                    j = end
                } else {
                    var depth = 0
                    while j < chars.count, !(depth == 0 && (chars[j] == "," || chars[j] == ")")) {
                        if chars[j] == "(" { depth += 1 } else if chars[j] == ")" { depth -= 1 }
                        j += 1
                    }
                }
                while j < chars.count, chars[j] == "," || chars[j] == " " || chars[j] == "\n" { j += 1 }
                if let (template, _) = literal(chars, at: j) { templates.append(template) }
                i += 1
                continue
            }
            i += 1
        }
        return templates
    }

    static func matches(_ chars: [Character], at i: Int, _ s: String) -> Bool {
        var k = i
        for c in s {
            guard k < chars.count, chars[k] == c else { return false }
            k += 1
        }
        // Not the tail of a longer name (`myfail(`).
        return i == 0 || !(chars[i - 1].isLetter || chars[i - 1].isNumber)
    }

    /// A string literal at `i` ("…" or """…"""), as a template, and the index after it.
    static func literal(_ chars: [Character], at i: Int) -> (String, Int)? {
        guard i < chars.count, chars[i] == "\"" else { return nil }
        let multiline = i + 2 < chars.count && chars[i + 1] == "\"" && chars[i + 2] == "\""
        var j = multiline ? i + 3 : i + 1
        var out = ""
        while j < chars.count {
            let c = chars[j]
            if multiline, c == "\"", j + 2 < chars.count, chars[j + 1] == "\"", chars[j + 2] == "\"" {
                return (dedent(out), j + 3)
            }
            if !multiline, c == "\"" { return (out, j + 1) }
            if !multiline, c == "\n" { return nil }
            if c == "\\", j + 1 < chars.count {
                let next = chars[j + 1]
                switch next {
                case "(":
                    out += "{}"
                    j = skipInterpolation(chars, from: j + 2)
                    continue
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "\n": out.append("\u{0}")  // a multi-line literal's line continuation
                default: out.append(next)
                }
                j += 2
                continue
            }
            out.append(c)
            j += 1
        }
        return nil
    }

    /// The index after the `)` that closes an interpolation, skipping string literals inside it.
    static func skipInterpolation(_ chars: [Character], from start: Int) -> Int {
        var depth = 1
        var j = start
        while j < chars.count, depth > 0 {
            if chars[j] == "\"", let (_, end) = literal(chars, at: j) { j = end; continue }
            if chars[j] == "(" { depth += 1 } else if chars[j] == ")" { depth -= 1 }
            j += 1
        }
        return j
    }

    /// A multi-line literal's text: its first and last line breaks and each line's indentation dropped, lines
    /// joined by a newline unless continued with `\`.
    static func dedent(_ text: String) -> String {
        var lines = text.components(separatedBy: "\n")
        if lines.first?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeFirst() }
        if lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }
        let joined = lines.map { $0.drop { $0 == " " } }.joined(separator: "\n")
        return joined.replacingOccurrences(of: "\u{0}\n", with: "")
    }
}
