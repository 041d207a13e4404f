import Foundation

/// Splits a SQL file into statements, since PostgresNIO sends one statement per query.
///
/// Semicolons inside quotes, quoted identifiers, comments and dollar-quoted bodies (`$$ … $$`, `$fn$ … $fn$`)
/// do not split. Statements that hold only comments and white space are dropped.
package enum SQLScript {
    package static func statements(_ script: String) -> [String] {
        let s = Array(script.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var hasCode = false
        var i = 0

        func flush() {
            let text = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if hasCode && !text.isEmpty { statements.append(text) }
            current = String.UnicodeScalarView()
            hasCode = false
        }
        func copy(_ from: Int, _ to: Int) { current.append(contentsOf: s[from..<min(to, s.count)]) }

        while i < s.count {
            let c = s[i]
            let next: Unicode.Scalar? = i + 1 < s.count ? s[i + 1] : nil
            switch c {
            case "-" where next == "-":
                var j = i
                while j < s.count && s[j] != "\n" { j += 1 }
                copy(i, j)
                i = j
            case "/" where next == "*":
                var depth = 0
                var j = i
                repeat {
                    if j + 1 < s.count && s[j] == "/" && s[j + 1] == "*" {
                        depth += 1; j += 2
                    } else if j + 1 < s.count && s[j] == "*" && s[j + 1] == "/" {
                        depth -= 1; j += 2
                    } else {
                        j += 1
                    }
                } while depth > 0 && j < s.count
                copy(i, j)
                i = j
            case "'", "\"":
                // E'…' strings escape with backslashes; others double the quote.
                let backslashEscapes = c == "'" && i > 0 && (s[i - 1] == "E" || s[i - 1] == "e")
                var j = i + 1
                while j < s.count {
                    if backslashEscapes && s[j] == "\\" { j += 2; continue }
                    if s[j] == c {
                        if j + 1 < s.count && s[j + 1] == c { j += 2; continue }
                        break
                    }
                    j += 1
                }
                copy(i, j + 1)
                hasCode = true
                i = j + 1
            case "$":
                if let tagEnd = dollarTagEnd(s, from: i) {
                    let tag = s[i...tagEnd]
                    var j = tagEnd + 1
                    while j < s.count {
                        if s[j] == "$" && j + tag.count <= s.count && s[j..<(j + tag.count)].elementsEqual(tag) { break }
                        j += 1
                    }
                    let end = min(j + tag.count, s.count)
                    copy(i, end)
                    hasCode = true
                    i = end
                } else {
                    current.append(c)
                    hasCode = true
                    i += 1
                }
            case ";":
                flush()
                i += 1
            default:
                current.append(c)
                if !c.properties.isWhitespace { hasCode = true }
                i += 1
            }
        }
        flush()
        return statements
    }

    /// `$tag$` starting at `i`, where tag is empty or an identifier not starting with a digit; nil for `$1`.
    private static func dollarTagEnd(_ s: [Unicode.Scalar], from i: Int) -> Int? {
        var j = i + 1
        while j < s.count {
            let c = s[j]
            if c == "$" { return j }
            let isIdent = c == "_" || c.properties.isAlphabetic || (j > i + 1 && ("0"..."9").contains(c))
            if !isIdent { return nil }
            j += 1
        }
        return nil
    }
}
