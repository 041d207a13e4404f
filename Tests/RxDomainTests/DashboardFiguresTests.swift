import Foundation
import RxDomain
import Testing

/// The dashboards' figures (`DashboardFigures.swift`).
@Suite("Dashboard figures")
struct DashboardFiguresTests {
    @Test("a share is a percentage with one decimal, and none of nothing")
    func shares() {
        #expect(percentShare(1, of: 3) == Decimal(string: "33.3"))
        #expect(percentShare(2, of: 3) == Decimal(string: "66.7"))
        #expect(percentShare(0, of: 5) == 0)
        #expect(percentShare(0, of: 0) == nil)
        let share = EssentialShare(
            institutionCode: nil, drugs: 8, essentialDrugs: 5, amount: Money(Decimal(string: "1000.00")!),
            essentialAmount: Money(Decimal(string: "125.50")!))
        #expect(share.drugShare == Decimal(string: "62.5") && share.amountShare == Decimal(string: "12.6"))
        #expect(
            EssentialShare(institutionCode: "M", drugs: 0, essentialDrugs: 0, amount: Money(0), essentialAmount: Money(0))
                .drugShare == nil)
    }

    @Test("payables are aged from their acceptance: 0–30, 31–60, 61–90, over 90 days; only what is unpaid")
    func ages() {
        let today = BusinessDate("2026-12-01")!
        #expect(PayableAge.of(acceptedOn: today, today: today) == .upTo30)
        #expect(PayableAge.of(acceptedOn: today.adding(days: -30), today: today) == .upTo30)
        #expect(PayableAge.of(acceptedOn: today.adding(days: -31), today: today) == .upTo60)
        #expect(PayableAge.of(acceptedOn: today.adding(days: -60), today: today) == .upTo60)
        #expect(PayableAge.of(acceptedOn: today.adding(days: -61), today: today) == .upTo90)
        #expect(PayableAge.of(acceptedOn: today.adding(days: -90), today: today) == .upTo90)
        #expect(PayableAge.of(acceptedOn: today.adding(days: -91), today: today) == .over90)
        let buckets = PayableAge.buckets(
            [
                (today.adding(days: -5), Money(Decimal(string: "10.005")!)), (today.adding(days: -7), Money(5)),
                (today.adding(days: -100), Money(1)), (today.adding(days: -40), Money(0)),
            ], today: today)
        #expect(buckets.map(\.age) == PayableAge.allCases)
        #expect(buckets.map(\.invoices) == [2, 0, 0, 1])
        #expect(buckets[0].unpaid == Money(Decimal(string: "15.01")!) && buckets[1].unpaid == Money(0))
    }

    @Test("a member's coverage counts the items of its list in line with the catalogue")
    func coverage() {
        let c = CatalogueCoverage(institutionCode: "M", listItems: 420, outOfLine: 20, catalogueItems: 500)
        #expect(c.items == 400 && c.share == 80)
        #expect(CatalogueCoverage(institutionCode: "M", listItems: 3, outOfLine: 5, catalogueItems: 0).share == nil)
    }
}

extension DashboardFiguresTests {
    @Test("stock near expiry is valued at its cost by class; holdings without a cost are counted, not valued")
    func expiringStock() {
        let today = BusinessDate("2026-12-01")!
        func day(_ days: Int, _ holdings: Int, without: Int, _ value: String) -> ExpiringStockValue.Day {
            .init(
                expiry: today.adding(days: days), holdings: holdings, holdingsWithoutCost: without,
                value: Decimal(string: value)!)
        }
        let buckets = ExpiringStockValue.buckets(
            [
                day(100, 1, without: 0, "25"), day(170, 2, without: 2, "0"), day(20, 1, without: 0, "3"),
                day(0, 3, without: 0, "10.004"), day(-5, 1, without: 1, "0"), day(400, 1, without: 0, "81"),
            ], today: today, firstDays: 180, secondDays: 30)
        #expect(buckets.map(\.expiryClass) == [.nearExpiryFirst, .nearExpirySecond, .expired])
        #expect(buckets.map(\.lots) == [3, 1, 4])
        #expect(buckets.map(\.value) == [Money(25), Money(3), Money(10)])
        #expect(buckets.map(\.lotsWithoutCost) == [2, 0, 1])
    }

    @Test("a member's volume pace is the mean of its names' completion, each up to 100 %, against the year's pace")
    func volumePace() {
        let (start, end, on) = (BusinessDate("2026-01-01")!, BusinessDate("2026-12-31")!, BusinessDate("2026-07-02")!)
        func row(_ member: String, agreed: Decimal, received: Decimal) -> VBPCompletion {
            VBPRules.completion(
                institutionCode: member, genericName: "n", agreed: agreed, received: received, nonWinning: 0, start: start,
                end: end, on: on)
        }
        let rows = [row("B", agreed: 100, received: 150), row("B", agreed: 100, received: 20), row("A", agreed: 0, received: 5)]
        #expect(rows[1].behindPace && !rows[0].behindPace && rows[2].share == nil)
        let paces = VolumePace.byMember(rows)
        #expect(paces.map(\.institutionCode) == ["A", "B"])
        #expect(paces[0].completion == nil && paces[0].names == 1)
        #expect(paces[1].completion == 60 && paces[1].behindPace == 1)
        #expect(paces[1].pace == percentShare(Decimal(rows[0].elapsedDays), of: Decimal(rows[0].periodDays)))
    }

    @Test("27: a decoction-piece round's pace per member: each committed item up to 100 %, an uncommitted one left out")
    func herbRoundPace() {
        let start = BusinessDate("2026-01-01")!
        let end = start.adding(days: 99)
        let on = start.adding(days: 49)
        func pace(_ committed: Decimal, _ bought: Decimal) -> HerbProcurementRules.Pace {
            HerbProcurementRules.pace(committed: committed, bought: bought, start: start, end: end, on: on)
        }
        let paces = VolumePace.byMember(herb: [
            ("SL", pace(300, 50)), ("SL", pace(100, 0)), ("YJ", pace(336, 400)), ("CHY", pace(0, 10)),
        ])
        #expect(paces.map(\.institutionCode) == ["CHY", "SL", "YJ"])
        #expect(paces[0].completion == nil && paces[0].names == 1)
        // (50/300 + 0/100) ÷ 2, both behind the half-way pace.
        #expect(paces[1].completion == Decimal(string: "8.3") && paces[1].behindPace == 2)
        // Bought beyond the commitment counts as 100 %.
        #expect(paces[2].completion == 100 && paces[2].behindPace == 0)
        #expect(paces.allSatisfy { $0.pace == 50 })
    }
}
