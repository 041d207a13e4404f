import Foundation
import Testing

@testable import RxDomain

@Suite("A supplier's shortage report: recorded with its notice and dates, resumed once (issue 22)")
struct SupplierReportRulesTests: RuleRefusals {
    static let today = BusinessDate("2026-11-20")!

    static func report(reportedOn: BusinessDate = today, notice: String = "停产", expected: BusinessDate? = nil)
        -> SupplierShortageReport
    {
        SupplierShortageReport(supplierCode: "SUP", reportedOn: reportedOn, notice: notice, expectedRecovery: expected)
    }

    @Test("a report names its notice, is not dated after today, expects recovery not before its date; every field at once")
    func record() {
        #expect(refusal { try ShortageRules.checkSupplierReport(Self.report(), standing: false, on: Self.today) } == nil)
        #expect(
            fields {
                try ShortageRules.checkSupplierReport(
                    Self.report(reportedOn: Self.today.adding(days: 1), notice: "  ", expected: Self.today),
                    standing: false, on: Self.today)
            } == ["notice", "reportedOn", "expectedRecovery"])
        // The boundary: recovery expected on the report's own day is accepted.
        #expect(
            refusal {
                try ShortageRules.checkSupplierReport(Self.report(expected: Self.today), standing: false, on: Self.today)
            } == nil)
    }

    @Test("a supplier with a standing report of the drug does not report it again (409)")
    func standing() {
        #expect(isConflict { try ShortageRules.checkSupplierReport(Self.report(), standing: true, on: Self.today) })
    }

    @Test("supply resumes after the report's date, not after today, once")
    func resume() throws {
        let report = Self.report(reportedOn: Self.today.adding(days: -5))
        let resumed = try ShortageRules.resume(report, on: Self.today, today: Self.today)
        #expect(
            resumed.resumedOn == Self.today && !resumed.stands(on: Self.today) && resumed.stands(on: Self.today.adding(days: -1)))
        #expect(field { _ = try ShortageRules.resume(report, on: report.reportedOn, today: Self.today) } == "resumedOn")
        #expect(field { _ = try ShortageRules.resume(report, on: Self.today.adding(days: 1), today: Self.today) } == "resumedOn")
        #expect(isConflict { _ = try ShortageRules.resume(resumed, on: Self.today, today: Self.today) })
    }
}
