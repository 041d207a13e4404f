import Foundation

/// A moment named in a query, as people and scripts write one: an RFC 3339 date-time (`2026-12-01T08:00:00Z`,
/// with fractions or an offset) or a plain date. A plain date is an Asia/Shanghai business date: as the start of a
/// period it is that day's first moment; as the end it is the next day's, so the day named is included.
package enum QueryInstant {
    package enum Bound: Sendable { case start, end }

    /// Reads an optional parameter, naming it (400) when it is neither form.
    package static func parse(_ text: String?, field: String, as bound: Bound) throws(DomainError) -> Date? {
        guard let text else { return nil }
        if let date = BusinessDate(text) {
            return (bound == .start ? date : date.adding(days: 1)).firstMoment
        }
        if let instant = dateTime(text) { return instant }
        throw .badRequest(
            "\(field): '\(text)' is not a date-time (RFC 3339, e.g. 2026-12-01T08:00:00+08:00) or a date YYYY-MM-DD",
            [FieldError(field: field, reason: "not a date-time (RFC 3339) or a date YYYY-MM-DD")])
    }

    /// An RFC 3339 date-time: `T` or `t` between date and time, `Z`, `z` or an offset, seconds with or without a
    /// fraction.
    package static func dateTime(_ text: String) -> Date? {
        let text = text.uppercased()
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let d = plain.date(from: text) { return d }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}

extension BusinessDate {
    /// The first moment of the day in Asia/Shanghai.
    package var firstMoment: Date {
        Date(timeIntervalSince1970: TimeInterval(daysSinceEpoch * 86_400 - Self.utcOffsetSeconds))
    }
}
