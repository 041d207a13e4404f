import Foundation
import Testing

@testable import RxDomain

/// Shared facts for the shortage tests: the seeded defaults (15 days low, 3 days deadline, 90-day window, 60 days
/// surplus, 30 days reopen window).
enum ShortageFixture {
    static let settings = ShortageSettings(
        lowStockDays: 15, deliveryDeadlineDays: 3, windowDays: 90, surplusDays: 60, reopenWindowDays: 30)
    static let today = BusinessDate("2026-12-01")!

    static func q(_ text: String) -> Quantity { Quantity(text)! }

    /// A member consuming `perDay` a day over the 90-day window and holding `onHand`.
    static func member(_ code: String, onHand: String, perDay: String, lines: [OpenOrderLine] = []) -> MemberStockFacts {
        MemberStockFacts(
            institutionCode: code, onHand: q(onHand), consumed: Quantity(q(perDay).value * 90), openOrderLines: lines)
    }

    static func assess(
        _ members: [MemberStockFacts], reports: [SupplierShortageReport] = [], on day: BusinessDate = today
    ) throws -> ShortageAssessment {
        try ShortageRules.signals(
            drugCode: "XAML", members: members, supplierReports: reports, settings: settings, on: day)
    }
}

@Suite("Shortage signals: stock-out, low stock, late delivery, supplier report (issue 22)")
struct ShortageSignalTests: RuleRefusals {
    typealias F = ShortageFixture

    @Test("a stock-out: none on hand of a drug used in the window; none used, no signal")
    func stockOut() throws {
        let a = try F.assess([
            F.member("A", onHand: "0", perDay: "2"), F.member("B", onHand: "0", perDay: "0"),
            F.member("C", onHand: "600", perDay: "2"),
        ])
        #expect(a.signals.filter { $0.kind == .stockOut }.map(\.institutionCode) == ["A"])
        #expect(a.affected.map(\.institutionCode) == ["A"])
        #expect(!a.consortiumLow && a.level == .member)
        // Its return (stock received) ends the signal.
        let back = try F.assess([F.member("A", onHand: "100", perDay: "2"), F.member("C", onHand: "600", perDay: "2")])
        #expect(!back.isShort)
    }

    @Test("low stock: below the threshold is low, on it is not (boundary days)")
    func lowStockBoundary() throws {
        // 2 a day: 29 units is 14.5 days, 30 units exactly 15 days.
        let low = try F.assess([F.member("A", onHand: "29", perDay: "2"), F.member("C", onHand: "600", perDay: "2")])
        #expect(low.signals.map(\.kind) == [.lowStock])
        #expect(low.signals.first?.daysOfStock == Decimal(string: "14.5"))
        let onThreshold = try F.assess([F.member("A", onHand: "30", perDay: "2"), F.member("C", onHand: "600", perDay: "2")])
        #expect(!onThreshold.isShort && onThreshold.affected.isEmpty)
    }

    @Test("the consortium as a whole is low when all its stock over all its use is below the threshold")
    func consortiumLow() throws {
        // 20 + 20 units at 2 a day each: 10 days each and 10 days together.
        let a = try F.assess([F.member("A", onHand: "20", perDay: "2"), F.member("B", onHand: "20", perDay: "2")])
        #expect(a.consortiumLow && a.consortiumDaysOfStock == 10 && a.level == .consortium)
        #expect(a.signals.filter { $0.institutionCode == nil }.map(\.kind) == [.lowStock])
        // One member low while the consortium is not: the member level.
        let one = try F.assess([F.member("A", onHand: "20", perDay: "2"), F.member("B", onHand: "200", perDay: "2")])
        #expect(!one.consortiumLow && one.level == .member && one.consortiumDaysOfStock == 55)
    }

    @Test("late delivery: late the day after the deadline, not on it; a delivered line never")
    func lateDelivery() throws {
        let submitted = BusinessDate("2026-11-28")!  // the deadline is 2026-12-01
        let line = OpenOrderLine(orderID: 7, lineNo: 1, submittedOn: submitted, outstanding: F.q("10"))
        let done = OpenOrderLine(orderID: 7, lineNo: 2, submittedOn: submitted, outstanding: .zero)
        let member = F.member("A", onHand: "600", perDay: "2", lines: [line, done])
        #expect(!(try F.assess([member], on: F.today)).isShort)
        let next = try F.assess([member], on: F.today.adding(days: 1))
        #expect(next.signals == [ShortageSignal(kind: .lateDelivery, institutionCode: "A", orderID: 7, lineNo: 1, daysLate: 1)])
        #expect(next.affected.map(\.institutionCode) == ["A"])
        // Delivered: the signal goes.
        let delivered = F.member("A", onHand: "610", perDay: "2", lines: [done])
        #expect(!(try F.assess([delivered], on: F.today.adding(days: 1))).isShort)
    }

    @Test(
        "an extended prescription not delivered: late at its collecting member the day after its deadline's date, not on it; a member's level"
    )
    func lateExtendedPrescription() throws {
        let due = UndeliveredExtendedPrescription(prescriptionID: 42, dueOn: F.today)
        var member = F.member("CHC", onHand: "600", perDay: "2")
        member.undeliveredPrescriptions = [due]
        #expect(!(try F.assess([member], on: F.today)).isShort)
        let next = try F.assess([member], on: F.today.adding(days: 2))
        #expect(
            next.signals == [
                ShortageSignal(
                    kind: .lateExtendedPrescription, institutionCode: "CHC", extendedPrescriptionID: 42, daysLate: 2)
            ])
        #expect(next.affected.map(\.institutionCode) == ["CHC"] && next.level == .member)
        // Delivered (no longer waiting): the signal goes.
        member.undeliveredPrescriptions = []
        #expect(!(try F.assess([member], on: F.today.adding(days: 2))).isShort)
    }

    @Test("a supplier's report holds from its date until supply resumes, and makes it the consortium's")
    func supplierReport() throws {
        let report = SupplierShortageReport(
            supplierCode: "GYPD", reportedOn: BusinessDate("2026-11-20")!, resumedOn: BusinessDate("2026-12-05")!,
            notice: "原料药短缺，暂停供货")
        let member = F.member("A", onHand: "600", perDay: "2")
        let standing = try F.assess([member], reports: [report])
        #expect(standing.signals.map(\.kind) == [.supplierReport] && standing.level == .consortium)
        #expect(!(try F.assess([member], reports: [report], on: BusinessDate("2026-11-19")!)).isShort)
        #expect(!(try F.assess([member], reports: [report], on: BusinessDate("2026-12-05")!)).isShort)
    }

    @Test("signals are listed by kind then member, deterministically")
    func order() throws {
        let late = OpenOrderLine(orderID: 1, lineNo: 1, submittedOn: BusinessDate("2026-11-01")!, outstanding: F.q("5"))
        let a = try F.assess([
            F.member("B", onHand: "10", perDay: "2", lines: [late]), F.member("A", onHand: "0", perDay: "1"),
        ])
        #expect(a.signals.map(\.kind) == [.stockOut, .lowStock, .lowStock, .lateDelivery])
        #expect(a.signals.map(\.institutionCode) == ["A", "B", nil, "B"])
        #expect(a.affected.map(\.institutionCode) == ["A", "B"])
    }

    @Test("settings that cannot work are a 503 naming the setting")
    func settings() {
        var bad = F.settings
        bad.surplusDays = 10
        guard case .unavailable(let m) = refusal({ try bad.check() }) else { Issue.record("not refused"); return }
        #expect(m.contains("shortage_surplus_days"))
        bad = F.settings
        bad.lowStockDays = 0
        guard case .unavailable(let m2) = refusal({ try bad.check() }) else { Issue.record("not refused"); return }
        #expect(m2.contains("shortage_low_stock_days"))
    }

    @Test("list membership is dated; a provincial list names its province")
    func lists() throws {
        let on = ShortageListMembership(
            drugCode: "XAML", list: .keyMonitoring, from: BusinessDate("2022-01-01")!, until: BusinessDate("2026-12-01")!,
            source: "2022 key monitoring list")
        #expect(on.holds(on: BusinessDate("2026-11-30")!) && !on.holds(on: BusinessDate("2026-12-01")!))
        #expect(!on.holds(on: BusinessDate("2021-12-31")!))
        let national = ShortageListMembership(
            drugCode: "XAML", list: .nationalShortage, from: BusinessDate("2020-01-01")!, source: "2020 list")
        #expect(
            ShortageListMembership.lists(of: "XAML", in: [national, on], on: BusinessDate("2026-06-01")!)
                == [.nationalShortage, .keyMonitoring])
        #expect(
            fields {
                _ = try ShortageListMembership.parse(
                    drugCode: "XAML", list: .provincial, region: " ", from: BusinessDate("2026-01-01")!,
                    until: BusinessDate("2026-01-01")!, source: "")
            } == ["region", "until", "source"])
        #expect(
            field {
                _ = try ShortageListMembership.parse(
                    drugCode: "XAML", list: .keyMonitoring, region: "贵州", from: BusinessDate("2026-01-01")!, until: nil,
                    source: "x")
            } == "region")
        let gz = try ShortageListMembership.parse(
            drugCode: "XAML", list: .provincial, region: "贵州", from: BusinessDate("2026-01-01")!, until: nil, source: "x")
        #expect(gz.region == "贵州")
    }
}

@Suite("seeds/reference/shortage_lists.csv reads as list memberships (issue 22)")
struct ShortageListSeedTests {
    /// A CSV line's fields (quotes around a field holding a comma; no quotes inside).
    static func fields(_ line: Substring) -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false
        for c in line {
            if c == "\"" {
                quoted.toggle()
            } else if c == "," && !quoted {
                fields.append(field); field = ""
            } else {
                field.append(c)
            }
        }
        fields.append(field)
        return fields
    }

    @Test("every row is a valid membership of a known list, and no drug is on a list twice at once")
    func seeded() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("seeds/reference/shortage_lists.csv")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "drug_code,list_kind,region,valid_from,valid_until,source")
        var memberships: [ShortageListMembership] = []
        for line in lines.dropFirst() {
            let f = Self.fields(line)
            try #require(f.count == 6, "\(line)")
            let list = try #require(ShortageListKind(rawValue: f[1]), "\(f[1]) is not a list")
            let from = try #require(BusinessDate(f[3]))
            let membership = try ShortageListMembership.parse(
                drugCode: f[0], list: list, region: f[2].isEmpty ? nil : f[2], from: from,
                until: f[4].isEmpty ? nil : BusinessDate(f[4]), source: f[5])
            #expect(
                !memberships.contains {
                    $0.drugCode == membership.drugCode && $0.list == membership.list && $0.region == membership.region
                        && $0.holds(on: membership.from)
                })
            memberships.append(membership)
        }
        #expect(memberships.count >= 8)
        #expect(Set(memberships.map(\.list)) == Set(ShortageListKind.allCases))
    }
}
