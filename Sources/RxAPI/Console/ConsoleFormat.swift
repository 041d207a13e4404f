internal import Foundation
import RxDomain

/// How the console writes dates and money: in Chinese conventions (2026年12月1日, ¥1,234.50), in English as
/// 1 Dec 2026 and ¥1,234.50. Dates are business dates (Asia/Shanghai); instants are shown in Shanghai time.
enum ConsoleFormat {
    static func date(_ date: BusinessDate, _ language: ConsoleLanguage) -> String {
        switch language {
        case .chinese: "\(date.year)年\(date.month)月\(date.day)日"
        case .english:
            "\(date.day) \(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][date.month - 1]) \(date.year)"
        }
    }

    /// An instant as a Shanghai wall-clock time: 2026年12月1日 14:05 (1 Dec 2026 14:05).
    static func time(_ instant: Date, _ language: ConsoleLanguage) -> String {
        let shanghai = instant.addingTimeInterval(8 * 3_600)
        let seconds = Int(shanghai.timeIntervalSince1970.rounded(.down))
        let minutes = ((seconds % 86_400) + 86_400) % 86_400 / 60
        let day = BusinessDate(instant)
        return date(day, language) + " " + String(format: "%02d:%02d", minutes / 60, minutes % 60)
    }

    /// An amount in yuan with thousands separators and two decimals, more when the amount has them (a unit
    /// price of ¥0.0860): never rounded away.
    static func yuan(_ money: Money) -> String { yuan(money.amount) }

    static func yuan(_ amount: Decimal) -> String {
        let negative = amount < 0
        var text = "\(negative ? -amount : amount)"
        if !text.contains(".") { text += ".00" }
        let parts = text.split(separator: ".", maxSplits: 1)
        var fraction = String(parts[1])
        while fraction.count < 2 { fraction += "0" }
        return (negative ? "-¥" : "¥") + grouped(String(parts[0])) + "." + fraction
    }

    /// A count with thousands separators: 12,345.
    static func count(_ n: Int) -> String { (n < 0 ? "-" : "") + grouped(String(n.magnitude)) }

    /// Digits in groups of three.
    static func grouped(_ whole: String) -> String {
        var grouped = ""
        for (i, c) in whole.enumerated() {
            if i > 0, (whole.count - i) % 3 == 0 { grouped.append(",") }
            grouped.append(c)
        }
        return grouped
    }

    /// A share given as a decimal fraction ("0.8500") as a percentage with one decimal: 85.0%.
    static func percent(_ fraction: String) -> String {
        guard let value = Decimal(string: fraction) else { return fraction }
        return DecimalText.format(value * 100, places: 1) + "%"
    }
}
