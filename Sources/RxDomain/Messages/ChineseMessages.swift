import Foundation

/// The Chinese of the service's messages, by template: the English as written where it is raised with each
/// interpolated value as `{}`, and the Chinese with `{1}`, `{2}`, … for those values in their order. A value
/// that is itself a message of the catalogue (a reason inside a refusal) is translated too.
/// `ChineseMessageCoverageTests` reads the sources and fails on a message that has no entry here.
public enum ChineseMessages {
    /// Translates a whole message, or nil when the catalogue does not have it.
    public static func translate(_ english: String) -> String? {
        if let exact = compiled.exact[english] { return exact }
        let range = NSRange(english.startIndex..., in: english)
        for template in compiled.patterns {
            guard let match = template.regex.firstMatch(in: english, range: range) else { continue }
            var values: [String] = []
            for i in 1..<match.numberOfRanges {
                let value = Range(match.range(at: i), in: english).map { String(english[$0]) } ?? ""
                values.append(translate(value) ?? translateFieldMessage(value) ?? value)
            }
            var chinese = template.chinese
            for (i, value) in values.enumerated().reversed() {
                chinese = chinese.replacingOccurrences(of: "{\(i + 1)}", with: value)
            }
            return chinese
        }
        return nil
    }

    /// `field: reason` (or several joined by `; `), with each reason translated; nil when one is not in the catalogue.
    public static func translateFieldMessage(_ english: String) -> String? {
        var parts: [String] = []
        for part in english.components(separatedBy: "; ") {
            guard let colon = part.range(of: ": "), !part[..<colon.lowerBound].contains(" "),
                let reason = translate(String(part[colon.upperBound...]))
            else { return nil }
            parts.append("\(part[..<colon.lowerBound])：\(reason)")
        }
        return parts.isEmpty ? nil : parts.joined(separator: "；")
    }

    /// Whether the catalogue has a template for this English template (`{}` for each value; for tests).
    public static func has(template: String) -> Bool {
        entries.contains { $0.english == template }
    }

    struct Template { var regex: NSRegularExpression; var chinese: String }

    static let compiled: (exact: [String: String], patterns: [Template]) = {
        var exact: [String: String] = [:]
        var patterns: [(literal: Int, template: Template)] = []
        for (english, chinese) in entries {
            guard english.contains("{}") else { exact[english] = chinese; continue }
            let pieces = english.components(separatedBy: "{}")
            let pattern = "^" + pieces.map(NSRegularExpression.escapedPattern(for:)).joined(separator: "(.+?)") + "$"
            let regex = try! NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
            patterns.append((pieces.reduce(0) { $0 + $1.count }, Template(regex: regex, chinese: chinese)))
        }
        // The most specific template first: "no commitment {} in round {}" before "no {}".
        return (exact, patterns.sorted { $0.literal > $1.literal }.map(\.template))
    }()

    /// English template → Chinese. Keep it sorted by where the message is raised.
    static let entries: [(english: String, chinese: String)] = generic + contract + access + masterData
        + catalogue + pricing + procurement + herbs + longPrescriptions + transfers + reconciliation + database

    /// The request itself.
    static let generic: [(english: String, chinese: String)] = [
        ("a JSON body is required", "需要 JSON 请求体"),
        ("is required", "为必填项"),
        ("must be positive", "必须大于 0"),
        ("is not valid JSON", "不是有效的 JSON"),
        ("expected a string", "应为字符串"),
        ("expected a boolean", "应为布尔值"),
        ("expected an integer", "应为整数"),
        ("expected a number", "应为数字"),
        ("expected a value of another type", "类型不对"),
        ("expected a string, found null", "应为字符串，不能为 null"),
        ("expected a boolean, found null", "应为布尔值，不能为 null"),
        ("expected an integer, found null", "应为整数，不能为 null"),
        ("expected a number, found null", "应为数字，不能为 null"),
        ("expected a value of another type, found null", "不能为 null"),
        ("could not be read", "无法读取"),
        ("not a date YYYY-MM-DD", "不是日期（YYYY-MM-DD）"),
        ("'{}' is not a date YYYY-MM-DD", "“{1}”不是日期（YYYY-MM-DD）"),
        ("not a date-time (RFC 3339) or a date YYYY-MM-DD", "不是时间（RFC 3339）或日期（YYYY-MM-DD）"),
        ("'{}' is not a date-time (RFC 3339, e.g. 2026-12-01T08:00:00+08:00) or a date YYYY-MM-DD",
         "“{1}”不是时间（RFC 3339，如 2026-12-01T08:00:00+08:00）或日期（YYYY-MM-DD）"),
        ("{} is before {}; no business date is earlier", "{1} 早于 {2}，不可能有更早的业务日期"),
        ("{} is after today ({}); it has not happened yet", "{1} 晚于今天（{2}），尚未发生"),
        ("{} is before {} ({})", "{1} 早于{2}（{3}）"),
        ("the request was cancelled (the server is stopping); retry", "请求被取消（服务正在停止），请重试"),
        ("an unexpected error; it has been logged", "发生意外错误，已记入日志"),
        ("Not Found", "未找到"),
        ("Method Not Allowed", "不支持该方法"),
    ]

    /// What the contract forbids (ContractValidator, ContractSchema).
    static let contract: [(english: String, chinese: String)] = [
        ("is not a query parameter of this operation", "不是该操作的查询参数"),
        ("is not a known property", "不是已知的属性"),
        ("must not be null", "不能为 null"),
        ("must not be empty", "不能为空"),
        ("must be true or false", "必须是 true 或 false"),
        ("must be an integer", "必须是整数"),
        ("must be a number", "必须是数字"),
        ("must be a string", "必须是字符串"),
        ("must be a boolean", "必须是布尔值"),
        ("must be an object", "必须是对象"),
        ("must be an array", "必须是数组"),
        ("must be a whole number", "必须是整数"),
        ("must be a date YYYY-MM-DD", "必须是日期（YYYY-MM-DD）"),
        ("must be an RFC 3339 date-time", "必须是 RFC 3339 时间"),
        ("must be an RFC 3339 date-time or a date YYYY-MM-DD", "必须是 RFC 3339 时间或日期（YYYY-MM-DD）"),
        ("must be at least {} characters", "至少 {1} 个字符"),
        ("must be at most {} characters", "最多 {1} 个字符"),
        ("must be at least {}", "不能小于 {1}"),
        ("must be at most {}", "不能大于 {1}"),
        ("must be one of {}", "必须是以下之一：{1}"),
        ("must match {}", "格式不符（{1}）"),
        ("must have at least one item", "至少要有一项"),
        ("must have at least {} items", "至少 {1} 项"),
        ("must have at most {} items", "最多 {1} 项"),
    ]

    static let access: [(english: String, chinese: String)] = []
    static let masterData: [(english: String, chinese: String)] = []
    static let catalogue: [(english: String, chinese: String)] = []
    static let pricing: [(english: String, chinese: String)] = []
    static let procurement: [(english: String, chinese: String)] = []
    static let herbs: [(english: String, chinese: String)] = []
    static let longPrescriptions: [(english: String, chinese: String)] = []
    static let transfers: [(english: String, chinese: String)] = []
    static let reconciliation: [(english: String, chinese: String)] = []
    static let database: [(english: String, chinese: String)] = []
}
