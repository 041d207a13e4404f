import Foundation

/// What a spreadsheet does to the cells of a CSV file it saves (Excel on Chinese Windows, WPS): undone where the meaning
/// is certain, refused where it is not. Every import reads its dates, numbers and codes through here, so a file a
/// user has opened and saved in Excel reads as the file it was.
///
/// - Dates: Excel writes a date as the system shows it, `2026/12/1` on Chinese Windows; `2026-12-01` and `2026-12-1`
///   are read too. Only the year comes first: `12/1/2026` could be either of two days.
/// - Numbers: a number formatted with thousands separators is saved quoted, `"1,234.50"`; the commas are dropped when
///   they fall between groups of three digits of the whole part.
/// - Codes: a long code of digits becomes scientific notation (`2.5222E+13`), its digits past the fifteenth lost; and
///   a code of digits loses its leading zeros. Neither can be undone, so the line is refused with what to do.
package enum SpreadsheetCell {
    /// A date as a spreadsheet writes it: `2026-12-01`, `2026/12/1`, `2026-12-1`, `2026/12/01`; nil for any other
    /// shape or a date that does not exist.
    package static func date(_ text: String) -> BusinessDate? {
        if let date = BusinessDate(text) { return date }
        let u = Array(text.utf8)
        guard u.count >= 8, u.count <= 10 else { return nil }
        let separator = u[4]
        guard separator == UInt8(ascii: "/") || separator == UInt8(ascii: "-") else { return nil }
        let parts = u.split(separator: separator, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, (1...2).contains(parts[1].count), (1...2).contains(parts[2].count)
        else { return nil }
        func number(_ digits: ArraySlice<UInt8>) -> Int? {
            var n = 0
            for d in digits {
                guard (48...57).contains(d) else { return nil }
                n = n * 10 + Int(d - 48)
            }
            return n
        }
        guard let y = number(parts[0]), let m = number(parts[1]), let d = number(parts[2]), (1...12).contains(m),
            d >= 1, d <= BusinessDate.daysInMonth(y, m)
        else { return nil }
        return BusinessDate(year: y, month: m, day: d)
    }

    /// The number without its thousands separators (`1,234.50` → `1234.50`); the text as it is when it has no comma;
    /// nil when the commas are not between groups of three digits of the whole part (`1,23`, `12,345,6.7`), which
    /// are not a spreadsheet's and may be a list.
    package static func number(_ text: String) -> String? {
        guard text.utf8.contains(UInt8(ascii: ",")) else { return text }
        var body = Substring(text)
        var sign = ""
        if let first = body.first, first == "-" || first == "+" {
            sign = String(first)
            body = body.dropFirst()
        }
        let whole = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let groups = whole[0].split(separator: ",", omittingEmptySubsequences: false)
        guard let lead = groups.first, (1...3).contains(lead.count),
            groups.dropFirst().allSatisfy({ $0.count == 3 }),
            groups.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) })
        else { return nil }
        let fraction = whole.count == 2 ? "." + whole[1] : ""
        guard !fraction.contains(",") else { return nil }
        return sign + groups.joined() + fraction
    }

    /// Why a code is not what was typed: a spreadsheet turned it into scientific notation (`2.5222E+13`, `8.6E+19`).
    /// Nil for any other text: whether a code is known is for the database to say.
    package static func codeDamage(_ text: String) -> String? {
        isScientific(text)
            ? "'\(text)' is a number in scientific notation: the spreadsheet changed the code. Format the column as text and type the codes again"
            : nil
    }

    /// Why an invoice number is not what was typed: scientific notation, or lost leading zeros. A Chinese invoice
    /// number made only of digits has 8 digits (增值税发票号码) or 20 (数电发票号码); one of digits alone that is
    /// shorter and not 8 long has lost its leading zeros. Numbers with letters or marks (`INV-1`) are not checked.
    package static func invoiceNumberDamage(_ text: String) -> String? {
        if let damage = codeDamage(text) { return damage }
        let count = text.utf8.count
        guard text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), count < 20, count != 8 else { return nil }
        return
            "'\(text)' has \(count) digits where an invoice number has 8 or 20: the spreadsheet dropped its leading zeros. Format the column as text and type the numbers again"
    }

    /// `2.5222E+13`, `1E+20`, `8.6e19`: digits, an optional fraction, E and an exponent.
    static func isScientific(_ text: String) -> Bool {
        let u = Array(text.utf8)
        guard let e = u.firstIndex(where: { $0 == UInt8(ascii: "E") || $0 == UInt8(ascii: "e") }), e > 0, e < u.count - 1
        else { return false }
        let mantissa = u[..<e].split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        guard mantissa[0].count >= 1, mantissa.allSatisfy({ $0.allSatisfy { $0 >= 48 && $0 <= 57 } }) else {
            return false
        }
        var exponent = u[(e + 1)...]
        if let sign = exponent.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { exponent = exponent.dropFirst() }
        return !exponent.isEmpty && exponent.allSatisfy { $0 >= 48 && $0 <= 57 }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
