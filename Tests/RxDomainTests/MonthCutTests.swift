import RxDomain
import Testing

/// A period cut into whole months and the days around them (`MonthCut`, the spend report's figures by month).
@Suite("A period cut into whole months")
struct MonthCutTests {
    func cut(_ from: String, _ to: String) -> MonthCut? { try? MonthCut(from: BusinessDate(from)!, to: BusinessDate(to)!) }
    func days(_ range: ClosedRange<BusinessDate>?) -> String? { range.map { "\($0.lowerBound)…\($0.upperBound)" } }

    @Test("28: a calendar year is twelve whole months and nothing cut")
    func year() throws {
        let c = try #require(cut("2025-01-01", "2025-12-31"))
        #expect(c.wholeFrom.description == "2025-01-01" && c.wholeUntil.description == "2026-01-01")
        #expect(c.head == nil && c.tail == nil)
    }

    @Test("28: from the 15th to the 14th: the whole months between, the days before and after them cut")
    func midMonth() throws {
        let c = try #require(cut("2025-01-15", "2025-04-14"))
        #expect(c.wholeFrom.description == "2025-02-01" && c.wholeUntil.description == "2025-04-01")
        #expect(days(c.head) == "2025-01-15…2025-01-31" && days(c.tail) == "2025-04-01…2025-04-14")
    }

    @Test("28: a month to date, or days within one month, are all cut; a leap February ends on the 29th")
    func noWholeMonth() throws {
        let c = try #require(cut("2026-12-01", "2026-12-05"))
        #expect(c.wholeFrom == c.wholeUntil && days(c.head) == "2026-12-01…2026-12-05" && c.tail == nil)
        let d = try #require(cut("2024-01-31", "2024-02-28"))
        #expect(d.wholeFrom == d.wholeUntil && days(d.head) == "2024-01-31…2024-02-28")
        let e = try #require(cut("2024-01-31", "2024-02-29"))
        #expect(e.wholeFrom.description == "2024-02-01" && e.wholeUntil.description == "2024-03-01")
        #expect(days(e.head) == "2024-01-31…2024-01-31" && e.tail == nil)
    }

    @Test("28: a period ending before it begins is refused, naming from")
    func backwards() {
        #expect(throws: DomainError.invalid("from", "2025-02-01 is after to (2025-01-31)")) {
            try MonthCut(from: BusinessDate("2025-02-01")!, to: BusinessDate("2025-01-31")!)
        }
    }
}
