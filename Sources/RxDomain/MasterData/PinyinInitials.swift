/// 拼音首字母: what a drug search matches against each drug's pinyin initials (kept by the database from its generic
/// name, `sql/037_pinyin_initials.sql`).
package enum PinyinInitials {
    /// The `LIKE` pattern of a search text that reads as initials (letters and digits only, any case: `aldp` or
    /// `ALDP` for 氨氯地平), or nil when the text is not initials (Chinese, punctuation) and only names are searched.
    package static func searchPattern(_ text: String) -> String? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return nil }
        return "%" + text.lowercased() + "%"
    }
}
