import Foundation

/// A calendar date in Asia/Shanghai, the zone every business date of the service is in.
public struct BusinessDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public static let zone = TimeZone(identifier: "Asia/Shanghai")!

    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar
    }()

    /// Parses `YYYY-MM-DD`, refusing dates that do not exist (2026-02-30).
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            let date = Self.calendar.date(from: DateComponents(year: y, month: m, day: d)),
            Self.calendar.component(.day, from: date) == d, Self.calendar.component(.month, from: date) == m
        else { return nil }
        (year, month, day) = (y, m, d)
    }

    public init(_ date: Date) {
        let c = Self.calendar.dateComponents([.year, .month, .day], from: date)
        (year, month, day) = (c.year!, c.month!, c.day!)
    }

    public static func today(now: Date = Date()) -> BusinessDate { BusinessDate(now) }

    public var description: String { String(format: "%04d-%02d-%02d", year, month, day) }

    var startOfDay: Date { Self.calendar.date(from: DateComponents(year: year, month: month, day: day))! }

    public func adding(days: Int) -> BusinessDate {
        BusinessDate(Self.calendar.date(byAdding: .day, value: days, to: startOfDay)!)
    }

    public func adding(months: Int) -> BusinessDate {
        BusinessDate(Self.calendar.date(byAdding: .month, value: months, to: startOfDay)!)
    }

    /// Whole days from `self` to `other` (negative when `other` is earlier).
    public func days(to other: BusinessDate) -> Int {
        Self.calendar.dateComponents([.day], from: startOfDay, to: other.startOfDay).day!
    }

    public static func < (a: Self, b: Self) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = BusinessDate(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a date YYYY-MM-DD"))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    /// Reads an optional `YYYY-MM-DD` parameter, naming it when malformed.
    public static func parse(_ text: String?, field: String) throws(DomainError) -> BusinessDate? {
        guard let text else { return nil }
        guard let date = BusinessDate(text) else {
            throw .badRequest("\(field): '\(text)' is not a date YYYY-MM-DD", [FieldError(field: field, reason: "not a date YYYY-MM-DD")])
        }
        return date
    }
}
