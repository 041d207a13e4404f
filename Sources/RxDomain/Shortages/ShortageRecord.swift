import Foundation

/// A shortage (短缺) of one drug in one consortium: at most one open at a time. Reopened within
/// `shortage_reopen_window_days` of its close it continues (the same record); later a new one opens.
package struct ShortageRecord: Sendable, Equatable, Codable {
    package var id: Int64?
    package var drugCode: String
    package var status: ShortageStatus
    package var level: ShortageLevel
    package var cause: ShortageCause?
    /// The day it first opened; a reopening keeps it.
    package var openedOn: BusinessDate
    package var closedOn: BusinessDate?
    package var outcome: ShortageOutcome?
    /// How many times it was reopened.
    package var reopenings: Int
    /// The members affected now (by code), with their stock; signals that hold now.
    package var affected: [MemberStockPosition]
    package var signals: [ShortageSignal]

    package init(
        id: Int64? = nil, drugCode: String, status: ShortageStatus = .open, level: ShortageLevel,
        cause: ShortageCause? = nil, openedOn: BusinessDate, closedOn: BusinessDate? = nil, outcome: ShortageOutcome? = nil,
        reopenings: Int = 0, affected: [MemberStockPosition] = [], signals: [ShortageSignal] = []
    ) {
        self.id = id
        self.drugCode = drugCode
        self.status = status
        self.level = level
        self.cause = cause
        self.openedOn = openedOn
        self.closedOn = closedOn
        self.outcome = outcome
        self.reopenings = reopenings
        self.affected = affected
        self.signals = signals
    }

    /// Days from its first opening to its close (or to `today` while open).
    package func durationDays(on today: BusinessDate) -> Int { openedOn.days(to: closedOn ?? today) }
}

/// What a scan does to a drug's shortage record.
package enum ShortageRecordChange: Sendable, Equatable {
    /// Nothing holds and nothing is open, or nothing changed.
    case none
    /// A new record.
    case open(ShortageRecord)
    /// The closed record, open again within the reopen window.
    case reopen(ShortageRecord)
    /// The open record with its members, signals or level changed; the members newly affected and no longer affected.
    case update(ShortageRecord, added: [String], removed: [String])
    /// The open record, closed as recovered, with its duration in days.
    case close(ShortageRecord, durationDays: Int)
}
