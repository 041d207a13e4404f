import Foundation

/// The language a person reads problems in: Chinese when the request prefers it (`Accept-Language: zh`, 中文),
/// English otherwise. Field names stay as the contract spells them in both.
package enum ProblemLanguage: String, Sendable {
    case english = "en"
    case chinese = "zh"

    /// The caller's preference from an `Accept-Language` header (RFC 9110 §12.5.4): the language range with the
    /// highest weight among those this service speaks; English when none is named or the header is absent.
    package init(acceptLanguage header: String?) {
        var best: (language: ProblemLanguage, weight: Double)? = nil
        for item in (header ?? "").split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let range = parts.first, !range.isEmpty else { continue }
            var weight = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
                weight = Double(parameter.dropFirst(2)) ?? 0
            }
            let language: ProblemLanguage? =
                range == "zh" || range.hasPrefix("zh-") ? .chinese : (range == "en" || range.hasPrefix("en-") ? .english : nil)
            guard let language, weight > 0 else { continue }
            if best == nil || weight > best!.weight { best = (language, weight) }
        }
        self = best?.language ?? .english
    }
}

/// A problem's texts in the caller's language. Every message is written in English where it is raised; the
/// Chinese comes from `ChineseMessages`, a catalogue of templates, so a rule's refusal is written once.
package struct LocalizedProblem: Sendable, Equatable {
    package var detail: String
    package var errors: [FieldError]
    /// The language `detail` and the reasons are actually in (a message not yet in the catalogue stays English).
    package var language: ProblemLanguage

    package init(detail: String, errors: [FieldError], in language: ProblemLanguage) {
        guard language == .chinese else {
            self.detail = detail
            self.errors = errors
            self.language = .english
            return
        }
        let reasons = errors.map { ChineseMessages.translate($0.reason) }
        let translatedErrors = zip(errors, reasons).map { FieldError(field: $0.field, reason: $1 ?? $0.reason) }
        // A detail is a whole message, or the errors joined ("field: reason; field: reason").
        let joined = errors.map { "\($0.field): \($0.reason)" }.joined(separator: "; ")
        let translatedDetail: String?
        if !errors.isEmpty, detail == joined, !reasons.contains(where: { $0 == nil }) {
            translatedDetail = translatedErrors.map { "\($0.field)：\($0.reason)" }.joined(separator: "；")
        } else if let whole = ChineseMessages.translate(detail) {
            translatedDetail = whole
        } else {
            translatedDetail = ChineseMessages.translateFieldMessage(detail)
        }
        self.errors = translatedErrors
        if let translatedDetail, !reasons.contains(where: { $0 == nil }) {
            self.detail = translatedDetail
            self.language = .chinese
        } else {
            self.detail = detail
            self.errors = errors
            self.language = .english
        }
    }

    /// The title of a status in Chinese (the English one is the reason phrase).
    package static func chineseTitle(status: Int) -> String? {
        switch status {
        case 400: "请求有误"
        case 401: "未认证"
        case 403: "无权操作"
        case 404: "未找到"
        case 405: "不支持该方法"
        case 406: "无法提供所要求的格式"
        case 409: "与现有数据冲突"
        case 412: "数据已被他人修改"
        case 413: "请求体过大"
        case 415: "不支持的内容类型"
        case 422: "不符合业务规则"
        case 428: "缺少前提条件"
        case 500: "服务器内部错误"
        case 503: "服务暂不可用"
        default: nil
        }
    }
}
