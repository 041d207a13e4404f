import Foundation

/// The supply centre records a distributor's or manufacturer's notice that it cannot supply a drug, and its end.
extension ShortageRules {
    /// A new report: its notice not blank, not dated after `today`, its expected recovery not before its date;
    /// a supplier with a report of the drug still standing does not report it again (409). Every broken rule at once
    /// (422 naming each field).
    package static func checkSupplierReport(
        _ report: SupplierShortageReport, standing: Bool, on today: BusinessDate
    ) throws(DomainError) {
        if standing {
            throw .conflict("\(report.supplierCode) already has a standing report of this drug; resume it first")
        }
        var errors: [FieldError] = []
        if report.notice.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            errors.append(FieldError(field: "notice", reason: "must not be blank"))
        }
        if today < report.reportedOn {
            errors.append(FieldError(field: "reportedOn", reason: "must not be after today (\(today))"))
        }
        if let expected = report.expectedRecovery, expected < report.reportedOn {
            errors.append(FieldError(field: "expectedRecovery", reason: "must not be before the report's date"))
        }
        try refuse(errors, "the supplier report is refused")
    }

    /// Supply resumes: only a standing report (409 naming its state), on a day after its date and not after
    /// `today` (422 naming `resumedOn`).
    package static func resume(_ report: SupplierShortageReport, on resumedOn: BusinessDate, today: BusinessDate)
        throws(DomainError) -> SupplierShortageReport
    {
        if let resumed = report.resumedOn {
            throw .conflict("the report has already resumed on \(resumed)")
        }
        guard report.reportedOn < resumedOn else {
            throw .invalid("resumedOn", "must be after the report's date (\(report.reportedOn))")
        }
        guard resumedOn <= today else { throw .invalid("resumedOn", "must not be after today (\(today))") }
        var resumed = report
        resumed.resumedOn = resumedOn
        return resumed
    }
}
