import Foundation

/// The kinds of code a distributor's file, the provincial platform or a member's HIS names a drug by (RULES.md,
/// "Drug codes and their crosswalk"). The raw value is what the API, the CSV files and the database say.
package enum DrugCodeType: String, Sendable, Codable, CaseIterable {
    /// 医保药品分类与代码: the national insurance drug code.
    case insurance
    /// 药品本位码: 14 digits, 86 + 9 + enterprise 5 + product 5 + check digit.
    case standard
    /// 批准文号 (国药准字 + letter + 8 digits), with the specification it covers.
    case approval
    /// 药品标识码: the first 7 digits of a traceability code.
    case traceabilityPrefix = "traceability_prefix"
    /// The provincial procurement platform's product id (省平台产品编号).
    case platform
    /// A member's own code in its HIS (院内编码).
    case inHouse = "in_house"

    /// Reads a code type as the API, files and the command line write it (`in-house` and `in_house` alike).
    package init?(name: String) {
        let name = name.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: "-", with: "_")
        self.init(rawValue: name)
    }

    /// `insurance, standard, approval, traceability_prefix, platform, in_house`: for refusals.
    package static let names = allCases.map(\.rawValue).joined(separator: ", ")
}

/// The parts of an insurance drug code as RULES.md decodes them from real rows. Kept as text: the parts are
/// shown, never computed with (the specification and package numbers are per enterprise).
package struct InsuranceCodeParts: Sendable, Equatable, Codable {
    /// X western, Z Chinese patent, T decoction piece.
    package var category: String
    /// The classification (5 characters), the generic name (4) and the dosage form (4); nil for a code that is
    /// not in the 23-character layout (the 20-character Chinese patent and 10-character decoction-piece codes).
    package var classification: String?
    package var genericName: String?
    package var dosageForm: String?
    /// The specification (2 digits), package (2) and enterprise (5) numbers.
    package var specification: String?
    package var package: String?
    package var enterprise: String?
}

/// A drug code of a known type, checked for its shape. `value` is the code as kept and compared: trimmed, and for
/// the letter codes in upper case.
package struct DrugCode: Sendable, Hashable, Codable, CustomStringConvertible {
    package let type: DrugCodeType
    package let value: String

    package var description: String { value }

    /// The longest platform or in-house code kept.
    package static let maxOtherLength = 40
    /// 国药准字 and the letters after it: H chemical, Z Chinese patent, S biological, J imported sub-packaged,
    /// B health product (保健药品, old), T in-vitro diagnostic reagent, F pharmaceutical excipient.
    package static let approvalPrefix = "国药准字"
    package static let approvalLetters: Set<Character> = ["H", "Z", "S", "J", "B", "T", "F"]

    /// Checks `text` as a code of `type` (422 naming `field` otherwise, with what the shape should be).
    package init(_ text: String, type: DrugCodeType, field: String) throws(DomainError) {
        let code = text.trimmingCharacters(in: .whitespaces)
        switch type {
        case .insurance:
            let upper = code.uppercased()
            guard Self.insuranceParts(upper) != nil else {
                throw .invalid(
                    field,
                    "'\(text)' is not an insurance drug code (X or Z and 22 letters and digits, the last 9 digits; Z and 19, or T and 9)"
                )
            }
            value = upper
        case .standard:
            guard code.count == 14, Self.allDigits(code) else {
                throw .invalid(field, "'\(text)' is not a 药品本位码 of 14 digits")
            }
            guard code.hasPrefix("869") else {
                throw .invalid(field, "'\(text)' does not start with 869 (86 China, 9 drugs)")
            }
            let expected = Self.standardCheckDigit(String(code.prefix(13)))
            guard code.last == expected else {
                throw .invalid(field, "'\(text)' has the check digit \(code.last!), expected \(expected)")
            }
            value = code
        case .approval:
            let compact = code.replacingOccurrences(of: " ", with: "").replacingOccurrences(of: "\u{3000}", with: "")
            guard compact.hasPrefix(Self.approvalPrefix) else {
                throw .invalid(field, "'\(text)' is not an approval number 国药准字 + a letter + 8 digits")
            }
            let rest = compact.dropFirst(Self.approvalPrefix.count).uppercased()
            guard rest.count == 9, let letter = rest.first, Self.approvalLetters.contains(letter),
                Self.allDigits(String(rest.dropFirst()))
            else {
                throw .invalid(field, "'\(text)' is not an approval number 国药准字 + a letter + 8 digits")
            }
            value = Self.approvalPrefix + rest
        case .traceabilityPrefix:
            guard code.count == TraceabilityCode.prefixLength, Self.allDigits(code) else {
                throw .invalid(field, "'\(text)' is not a traceability-code prefix of 7 digits")
            }
            value = code
        case .platform, .inHouse:
            guard !code.isEmpty, code.count <= Self.maxOtherLength,
                code.unicodeScalars.allSatisfy({ $0.properties.isWhitespace == false && $0.value >= 0x20 && $0.value != 0x7F })
            else {
                throw .invalid(field, "'\(text)' is not a code of 1 to 40 characters without spaces")
            }
            value = code
        }
        self.type = type
    }

    /// A code as the store kept it, not checked again.
    package init(stored value: String, type: DrugCodeType) {
        self.type = type
        self.value = value
    }

    /// The insurance code's decoded parts (nil unless `type` is `.insurance`).
    package var insuranceParts: InsuranceCodeParts? {
        type == .insurance ? Self.insuranceParts(value) : nil
    }

    /// The decoded parts of an upper-case insurance code, or nil when it is not one: X or Z and 22 letters and
    /// digits ending in 9 digits (RULES.md's 23-character layout); Z and 19 (the 20-character Chinese patent
    /// codes the national list also carries); T and 9 digits (decoction pieces).
    static func insuranceParts(_ code: String) -> InsuranceCodeParts? {
        let chars = Array(code)
        guard let first = chars.first, chars.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber) }) else {
            return nil
        }
        func slice(_ from: Int, _ count: Int) -> String { String(chars[from..<(from + count)]) }
        switch (first, chars.count) {
        case ("X", 23), ("Z", 23):
            guard allDigits(slice(14, 9)) else { return nil }
            return InsuranceCodeParts(
                category: String(first), classification: slice(1, 5), genericName: slice(6, 4),
                dosageForm: slice(10, 4), specification: slice(14, 2), package: slice(16, 2), enterprise: slice(18, 5))
        case ("Z", 20):
            return InsuranceCodeParts(category: "Z")
        case ("T", 10):
            guard allDigits(slice(1, 9)) else { return nil }
            return InsuranceCodeParts(category: "T")
        default:
            return nil
        }
    }

    /// The check digit of a 本位码's first 13 digits. The coding rules (国家药品编码本位码编制规则) compute it by
    /// GB 18937, whose check character is GB/T 17710's (ISO/IEC 7064) hybrid MOD 11,10: p = 10; for each digit d,
    /// s = (p + d) mod 10 (10 when 0), p = 2s mod 11; the check digit c makes (p + c) mod 10 = 1.
    package static func standardCheckDigit(_ digits: String) -> Character {
        var p = 10
        for byte in digits.utf8 {
            var s = (p + Int(byte - UInt8(ascii: "0"))) % 10
            if s == 0 { s = 10 }
            p = (s * 2) % 11
        }
        return Character(String((11 - p) % 10))
    }

    static func allDigits(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}

/// `auto`: which type a code is, by its shape alone.
package enum DrugCodeRecognition {
    /// The type whose shape `text` has (a valid 本位码, an approval number, a 7-digit prefix, an insurance code),
    /// or nil when the shape says nothing: platform and in-house codes have no shape of their own, so such a code
    /// is looked up among both (platform first).
    package static func recognise(_ text: String) -> DrugCode? {
        let code = text.trimmingCharacters(in: .whitespaces)
        for type in [DrugCodeType.standard, .approval, .traceabilityPrefix, .insurance] {
            if let parsed = try? DrugCode(code, type: type, field: "code") { return parsed }
        }
        return nil
    }

    /// The codes a file's drug column may mean under `--code-type` (nil: auto): one code of the given type, or for
    /// auto the recognised one, else the platform and in-house readings. Empty when the text is no code of the
    /// type at all (the line is refused, naming `field`).
    package static func candidates(_ text: String, type: DrugCodeType?, field: String) throws(DomainError) -> [DrugCode] {
        if let type { return [try DrugCode(text, type: type, field: field)] }
        if let recognised = recognise(text) { return [recognised] }
        let platform = try DrugCode(text, type: .platform, field: field)
        return [platform, try DrugCode(text, type: .inHouse, field: field)]
    }
}
