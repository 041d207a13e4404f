import Foundation

/// Where "today" comes from: the Asia/Shanghai calendar date of the wall clock, or a fixed date (tests, and a replay
/// of a past day). The server takes one (`AppConfiguration.clock`) and asks it whenever a request needs the date.
package struct BusinessClock: Sendable {
    private let now: @Sendable () -> Date

    package init(now: @escaping @Sendable () -> Date) { self.now = now }

    /// The wall clock.
    package static let system = BusinessClock { Date() }

    /// Always `date` (noon in Shanghai, so the calendar date never slips).
    package static func fixed(_ date: BusinessDate) -> BusinessClock {
        let instant = date.noonInShanghai
        return BusinessClock { instant }
    }

    package func today() -> BusinessDate { .today(now: now()) }

    /// The instant, for deadlines kept as timestamps (an extended prescription's delivery deadline).
    package func instant() -> Date { now() }
}

extension BusinessDate {
    /// 12:00 of this date in Asia/Shanghai (UTC+8, no daylight saving).
    package var noonInShanghai: Date {
        Date(timeIntervalSince1970: TimeInterval(daysSinceEpoch) * 86_400 + 4 * 3_600)
    }
}
