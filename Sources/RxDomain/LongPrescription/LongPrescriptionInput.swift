import Foundation

/// What the contract forbids in a long-prescription check or issue (长处方): refused with 400 naming each field,
/// before anything is looked up, stored or logged (issue 18.11). The generated server checks types only, not
/// minimum, maximum or pattern, so the one handler both routes call (the generated one and `HotPaths/`) comes here
/// first. The contract (`LongPrescriptionItemInput`, `PatientRef`, `PositiveQuantity`) states the same limits.
package enum LongPrescriptionInput {
    /// `days` of an item: one day to a year (leap years included), as the contract's minimum and maximum say.
    package static let days = 1...366
    /// The fill limits, as the contract says.
    package static let maxFills = 1...12
    package static let minDaysBetweenFills = 0...120
    package static let validityDays = 1...366

    /// One item as typed: where it sits in the request (`items[0]`, `item`), its daily dose text and its days.
    package struct Item: Sendable, Equatable {
        package var field: String
        package var dailyDose: String
        package var days: Int
        package init(field: String, dailyDose: String, days: Int) {
            self.field = field
            self.dailyDose = dailyDose
            self.days = days
        }
    }

    /// The contract's `PatientRef` (`^[A-Za-z0-9_-]{1,64}$`): a pseudonym the institution chose, never a name such
    /// as 张三 or `Zhang San`, nor an ID number with spaces or punctuation.
    package static func isPseudonym(_ text: String) -> Bool {
        let bytes = text.utf8
        guard (1...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy { b in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
        }
    }

    /// The contract's `PositiveQuantity`: a plain decimal of one to ten digits and at most four decimals, above zero,
    /// with no leading zero (`0.5`, not `00.5` nor `01`).
    package static func positiveQuantity(_ text: String) -> Decimal? {
        guard let value = Money(text, maxDecimals: 4)?.amount, value > 0 else { return nil }
        guard !text.hasPrefix("0") || text.hasPrefix("0.") else { return nil }
        return value
    }

    /// Every field of a check or an issue that breaks the contract, in the order of the request. The reasons never
    /// repeat what was typed: a patient's name typed as the reference must not reach a log or a response.
    package static func problems(
        prescriber: String, patientRef: String, items: [Item],
        maxFills: Int? = nil, minDaysBetweenFills: Int? = nil, validityDays: Int? = nil
    ) -> [FieldError] {
        var problems: [FieldError] = []
        let pseudonym =
            "must be a pseudonymous id of 1 to 64 letters A-Z or a-z, digits, '_' or '-', never a name or an ID number"
        if !isPseudonym(prescriber) { problems.append(FieldError(field: "prescriber", reason: pseudonym)) }
        if !isPseudonym(patientRef) { problems.append(FieldError(field: "patient.ref", reason: pseudonym)) }
        for item in items {
            if positiveQuantity(item.dailyDose) == nil {
                problems.append(
                    FieldError(
                        field: "\(item.field).dailyDose",
                        reason: "must be a quantity above zero with at most ten digits and four decimals"))
            }
            if !days.contains(item.days) {
                problems.append(
                    FieldError(field: "\(item.field).days", reason: "must be from \(days.lowerBound) to \(days.upperBound)"))
            }
        }
        func range(_ value: Int?, _ limits: ClosedRange<Int>, _ field: String) {
            if let value, !limits.contains(value) {
                problems.append(FieldError(field: field, reason: "must be from \(limits.lowerBound) to \(limits.upperBound)"))
            }
        }
        range(maxFills, Self.maxFills, "maxFills")
        range(minDaysBetweenFills, Self.minDaysBetweenFills, "minDaysBetweenFills")
        range(validityDays, Self.validityDays, "validityDays")
        return problems
    }

    /// Refuses (400) a check or an issue that breaks the contract, naming every field at fault.
    package static func validate(
        prescriber: String, patientRef: String, items: [Item],
        maxFills: Int? = nil, minDaysBetweenFills: Int? = nil, validityDays: Int? = nil
    ) throws(DomainError) {
        let problems = problems(
            prescriber: prescriber, patientRef: patientRef, items: items,
            maxFills: maxFills, minDaysBetweenFills: minDaysBetweenFills, validityDays: validityDays)
        guard problems.isEmpty else {
            throw .badRequest(
                "the request breaks the contract: " + problems.map { "\($0.field) \($0.reason)" }.joined(separator: "; "),
                problems)
        }
    }
}

extension LongPrescriptionRules.Patient {
    /// Refuses (422 naming the field) a stability assessment dated after today or before the earliest business date
    /// (issue 18.9): an assessment that has not happened yet proves nothing.
    package func requireAssessmentsHappened(today: BusinessDate) throws(DomainError) {
        for (i, diagnosis) in diagnoses.enumerated() {
            try diagnosis.lastAssessedOn?.requireHappened(field: "patient.diagnoses[\(i)].lastAssessedOn", today: today)
        }
    }
}
