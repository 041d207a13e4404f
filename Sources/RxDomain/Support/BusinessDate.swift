import Foundation

/// A calendar date in Asia/Shanghai, the zone every business date of the service is in.
package struct BusinessDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    package let year: Int
    package let month: Int
    package let day: Int

    package static let zone = TimeZone(identifier: "Asia/Shanghai")!

    /// Asia/Shanghai has kept UTC+8 without daylight saving since 1991, so dates are counted with integer
    /// arithmetic (days since 1970-01-01, Hinnant's civil-date algorithms) instead of ICU calendars, which
    /// are slow on the hot path of the long-prescription check.
    static let utcOffsetSeconds = 8 * 3600

    /// Parses `YYYY-MM-DD`, refusing dates that do not exist (2026-02-30).
    package init?(_ text: String) {
        let u = Array(text.utf8)
        guard u.count == 10, u[4] == 45, u[7] == 45 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var n = 0
            for i in range {
                guard (48...57).contains(u[i]) else { return nil }
                n = n * 10 + Int(u[i] - 48)
            }
            return n
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10), (1...12).contains(m),
            d >= 1, d <= Self.daysInMonth(y, m)
        else { return nil }
        (year, month, day) = (y, m, d)
    }

    init(year: Int, month: Int, day: Int) {
        (self.year, self.month, self.day) = (year, month, day)
    }

    package init(_ date: Date) {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down)) + Self.utcOffsetSeconds
        self = Self(daysSinceEpoch: Int((Double(seconds) / 86_400).rounded(.down)))
    }

    package static func today(now: Date = Date()) -> BusinessDate { BusinessDate(now) }

    package var description: String {
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01.
    var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    init(daysSinceEpoch: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)
    }

    package func adding(days: Int) -> BusinessDate { BusinessDate(daysSinceEpoch: daysSinceEpoch + days) }

    /// The same day `months` later, or the month's last day when it is shorter (2026-01-31 + 1 month = 2026-02-28).
    package func adding(months: Int) -> BusinessDate {
        let total = year * 12 + (month - 1) + months
        let (y, m) = (total / 12, total % 12 + 1)
        return BusinessDate(year: y, month: m, day: min(day, Self.daysInMonth(y, m)))
    }

    /// Whole days from `self` to `other` (negative when `other` is earlier).
    package func days(to other: BusinessDate) -> Int { other.daysSinceEpoch - daysSinceEpoch }

    package static func < (a: Self, b: Self) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = BusinessDate(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a date YYYY-MM-DD"))
        }
        self = date
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    /// Reads an optional `YYYY-MM-DD` parameter, naming it when malformed (400) or before `earliest` (422).
    /// Every business date the API accepts is read here, so the floor holds for all of them.
    package static func parse(_ text: String?, field: String) throws(DomainError) -> BusinessDate? {
        guard let text else { return nil }
        guard let date = BusinessDate(text) else {
            throw .badRequest(
                "\(field): '\(text)' is not a date YYYY-MM-DD", [FieldError(field: field, reason: "not a date YYYY-MM-DD")])
        }
        try date.requireNotBeforeEarliest(field: field)
        return date
    }
}

/// Dates that cannot be true (issue 18.9). Nothing the service keeps happened before 2000: an earlier date is a
/// slip of the keyboard (0202, 1026). A date of something that already happened (a delivery received, a fill, a
/// price reported, a stability assessment) is not after today, the Asia/Shanghai date of the caller's clock.
extension BusinessDate {
    /// The earliest business date accepted anywhere.
    package static let earliest = BusinessDate(year: 2000, month: 1, day: 1)

    /// Refuses (422 naming the field) a date before `earliest`.
    package func requireNotBeforeEarliest(field: String) throws(DomainError) {
        guard self >= Self.earliest else {
            throw .invalid(field, "\(self) is before \(Self.earliest); no business date is earlier")
        }
    }

    /// Refuses (422 naming the field) the date of an event that cannot have happened on it: before `earliest`, after
    /// `today`, or before `notBefore` (the date of what it follows, e.g. the order a delivery answers, with its words).
    package func requireHappened(
        field: String, today: BusinessDate, notBefore: (date: BusinessDate, what: String)? = nil
    ) throws(DomainError) {
        try requireNotBeforeEarliest(field: field)
        if self > today { throw .invalid(field, "\(self) is after today (\(today)); it has not happened yet") }
        if let notBefore, self < notBefore.date {
            throw .invalid(field, "\(self) is before \(notBefore.what) (\(notBefore.date))")
        }
    }
}

/// A period of days cut into the calendar months it holds whole and the days before and after them. Figures kept by
/// month (the spend report's `receipts_by_month`) answer the whole months; only the cut days are summed from the
/// facts themselves.
package struct MonthCut: Sendable, Equatable {
    /// The first day of the first whole month and the first day after the last one; equal when no month is whole.
    package let wholeFrom: BusinessDate
    package let wholeUntil: BusinessDate
    /// The days before the first whole month, and after the last one (the whole period when no month is whole).
    package let head: ClosedRange<BusinessDate>?
    package let tail: ClosedRange<BusinessDate>?

    /// `from` through `to`, both included; a `from` after `to` is refused (422 naming `from`).
    package init(from: BusinessDate, to: BusinessDate) throws(DomainError) {
        guard from <= to else { throw .invalid("from", "\(from) is after to (\(to))") }
        let firstWhole = from.day == 1 ? from : from.firstOfMonth.adding(months: 1)
        let afterLastWhole = to.adding(days: 1).firstOfMonth
        guard firstWhole < afterLastWhole else {
            (wholeFrom, wholeUntil, head, tail) = (firstWhole, firstWhole, from...to, nil)
            return
        }
        (wholeFrom, wholeUntil) = (firstWhole, afterLastWhole)
        head = from < firstWhole ? from...firstWhole.adding(days: -1) : nil
        tail = afterLastWhole <= to ? afterLastWhole...to : nil
    }
}

extension BusinessDate {
    /// The first day of the date's month.
    package var firstOfMonth: BusinessDate { BusinessDate(year: year, month: month, day: 1) }
}
